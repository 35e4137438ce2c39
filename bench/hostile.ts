// The hostile-peer soak: what hostile servers cost the client in memory. Each scenario runs the
// client alone in a child process (so its RSS is the client's) against a server in this process,
// and reports RSS and heap after a full GC before connecting (the baseline), the peak while under
// attack, and the end; plus what the scenario checks (messages held, close codes).
//
// Usage: npx tsx bench/hostile.ts [--quick] [--only a,b] [--wschan PATH]
//   --quick        a 10 s ping flood instead of 60 s
//   --only a,b     scenario ids: ping-flood, announce-16mib, empty-frames, unread-16mib, deflate-bomb, tiny-fragments
//   --wschan PATH  measure another build of wschan (its dist/index.js), e.g. an older commit's
import { spawn } from "node:child_process";
import * as net from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { constants, createDeflateRaw } from "node:zlib";
import { acceptKey, serverFrame } from "./protocol.js";

const MiB = 1024 * 1024;
const OP_BINARY = 0x2;
const OP_PING = 0x9;

interface Sample {
  rss: number;
  heap: number;
  external: number;
}

/** What a child reports. */
interface Report {
  baseline: Sample;
  peak: Sample;
  end: Sample;
  notes: Record<string, number | string | boolean>;
}

interface ScenarioDef {
  readonly id: string;
  readonly title: string;
  readonly target: string;
  /** Serves one connection after its handshake; `extensions` is what the client offered. */
  readonly serve: (socket: net.Socket, index: number) => void;
  /** The client side, in the child: connect, hold on, report notes. */
  readonly client: (
    ws: Wschan,
    url: string,
    peak: () => void,
  ) => Promise<Record<string, number | string | boolean>>;
  /** Whether the server agrees to permessage-deflate. */
  readonly deflate?: boolean;
}

type Wschan = typeof import("../src/index.js");

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- the scenarios ----

function scenarios(seconds: number): ScenarioDef[] {
  const pingBurst = Buffer.concat(
    Array.from({ length: 200 }, (_, i) => serverFrame(OP_PING, Buffer.from(`${i}`.padEnd(125, "p")))),
  );
  return [
    {
      id: "ping-flood",
      title: `ping flood for ${seconds} s, the server never reads`,
      target: "< 32 MiB above baseline",
      serve: (socket) => {
        socket.pause();
        const until = Date.now() + seconds * 1000;
        const pump = (): void => {
          if (socket.destroyed || Date.now() > until) return;
          while (socket.writableLength < MiB) socket.write(pingBurst);
          setTimeout(pump, 1);
        };
        pump();
      },
      client: async (ws, url, peak) => {
        const client = await ws.connect(url);
        const until = Date.now() + seconds * 1000;
        while (Date.now() < until) {
          peak();
          await sleep(50);
        }
        const open = !(await Promise.race([client.closed.then(() => true), sleep(0).then(() => false)]));
        return { "still open": open };
      },
    },
    {
      id: "announce-16mib",
      title: "200 connections, each announcing a 16 MiB frame and sending 1 byte",
      target: "< 32 MiB above baseline",
      serve: (socket) => {
        const header = Buffer.alloc(10);
        header[0] = 0x82;
        header[1] = 127;
        header.writeUInt32BE(16 * MiB, 6);
        socket.write(header);
        setTimeout(() => socket.write(Buffer.of(1)), 50);
      },
      client: async (ws, url, peak) => {
        const clients = [];
        for (let i = 0; i < 200; i++) clients.push(await ws.connect(url));
        for (let i = 0; i < 20; i++) {
          peak();
          await sleep(50);
        }
        return { connections: clients.length };
      },
    },
    {
      id: "empty-frames",
      title: "20,000 empty frames in one write, channel_capacity 1",
      target: "the channel holds exactly 1",
      serve: (socket) => {
        socket.write(
          Buffer.concat(Array.from({ length: 20_000 }, () => serverFrame(OP_BINARY, Buffer.alloc(0)))),
        );
      },
      client: async (ws, url, peak) => {
        const client = await ws.connect(url, { channel_capacity: 1 });
        let most = 0;
        for (let i = 0; i < 20; i++) {
          most = Math.max(most, client.channel().length);
          peak();
          await sleep(25);
        }
        return { "channel length, most": most };
      },
    },
    {
      id: "unread-16mib",
      title: "32 unread 16 MiB messages, then close()",
      target: "unread bytes ≤ channel_byte_limit (16 MiB, ×2 after close) + one read",
      serve: (socket) => {
        socket.on("data", () => {});
        const message = serverFrame(OP_BINARY, Buffer.alloc(16 * MiB, 1));
        let sent = 0;
        const pump = (): void => {
          while (sent < 32 && !socket.destroyed) {
            sent++;
            if (!socket.write(message)) {
              socket.once("drain", pump);
              return;
            }
          }
        };
        pump();
      },
      client: async (ws, url, peak) => {
        const client = await ws.connect(url);
        for (let i = 0; i < 20; i++) {
          peak();
          await sleep(50);
        }
        const before = client.channel().length;
        void client.close();
        for (let i = 0; i < 60; i++) {
          peak();
          await sleep(50);
        }
        const info = await client.closed;
        return {
          "unread before close()": before,
          "unread at the end": client.channel().length,
          "close code": info.code,
        };
      },
    },
    {
      id: "deflate-bomb",
      title: "a 1 GiB deflate bomb (about 1 MiB compressed), read_limit 16 MiB",
      target: "closes with 1009; < 32 MiB above baseline",
      deflate: true,
      serve: (socket) => {
        void bomb().then((payload) => socket.write(serverFrame(OP_BINARY, payload, true)));
        socket.on("data", () => {});
      },
      client: async (ws, url, peak) => {
        const client = await ws.connect(url, { compression: ws.COMPRESSION.CONTEXT_TAKEOVER });
        const sampler = setInterval(peak, 5);
        const info = await client.closed;
        clearInterval(sampler);
        return { "close code": info.code };
      },
    },
    {
      id: "tiny-fragments",
      title: "a 4 MiB message in 1-byte fragments (12 MiB on the wire, in one write)",
      target: "memory in proportion to the message",
      serve: (socket) => {
        socket.on("data", () => {});
        const size = 4 * MiB;
        // 3-byte frames: FIN and opcode (binary, then continuations), length 1, the byte.
        const compact = Buffer.alloc(size * 3);
        for (let i = 0; i < size; i++) {
          compact[i * 3] = (i === 0 ? OP_BINARY : 0) | (i === size - 1 ? 0x80 : 0);
          compact[i * 3 + 1] = 1;
          compact[i * 3 + 2] = i & 0xff;
        }
        socket.write(compact);
      },
      client: async (ws, url, peak) => {
        const client = await ws.connect(url);
        const sampler = setInterval(peak, 5);
        const [message] = await client.channel().receive();
        clearInterval(sampler);
        const ok = message?.type === "binary" && message.data.length === 4 * MiB;
        void client.close();
        return { "message intact": ok };
      },
    },
  ];
}

let bombCache: Promise<Buffer> | undefined;
function bomb(): Promise<Buffer> {
  bombCache ??= new Promise((resolvePayload) => {
    const deflate = createDeflateRaw({ level: 9 });
    const chunks: Buffer[] = [];
    deflate.on("data", (c: Buffer) => chunks.push(c));
    const block = Buffer.alloc(MiB);
    let sent = 0;
    const write = (): void => {
      while (sent < 1024) {
        sent++;
        if (!deflate.write(block)) {
          deflate.once("drain", write);
          return;
        }
      }
      deflate.flush(constants.Z_SYNC_FLUSH, () => {
        const all = Buffer.concat(chunks);
        resolvePayload(all.subarray(0, all.length - 4));
      });
    };
    write();
  });
  return bombCache;
}

// ---- the server (parent) ----

function startServer(def: ScenarioDef): Promise<{ url: string; close: () => void }> {
  let index = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      socket.off("data", onData);
      const request = head.subarray(0, end).toString("latin1");
      const key = /sec-websocket-key:\s*(\S+)/i.exec(request)?.[1] ?? "";
      const offered = /sec-websocket-extensions:.*permessage-deflate/i.test(request);
      const extension = def.deflate && offered ? "Sec-WebSocket-Extensions: permessage-deflate\r\n" : "";
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n${extension}\r\n`,
      );
      def.serve(socket, index++);
    };
    socket.on("data", onData);
  });
  return new Promise((resolveServer) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      resolveServer({
        url: `ws://127.0.0.1:${port}/`,
        close: () => {
          for (const socket of sockets) socket.destroy();
          server.close();
        },
      });
    });
  });
}

function runChild(
  id: string,
  url: string,
  seconds: number,
  wschan: string | undefined,
): Promise<Report | string> {
  const self = fileURLToPath(import.meta.url);
  const args = [
    "--expose-gc",
    "--import",
    "tsx",
    self,
    "--child",
    id,
    "--url",
    url,
    "--seconds",
    String(seconds),
  ];
  if (wschan !== undefined) args.push("--wschan", wschan);
  return new Promise((resolveChild) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    child.on("close", (code, signal) => {
      const line = out.trim().split("\n").pop() ?? "";
      if (code === 0 && line.startsWith("{")) resolveChild(JSON.parse(line) as Report);
      else
        resolveChild(
          `the client process died (${signal ?? `exit ${code}`}): ${err.trim().split("\n").slice(-3).join(" / ")}`,
        );
    });
  });
}

// ---- the client (child) ----

function sample(): Sample {
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, external: m.external + m.arrayBuffers };
}

async function child(id: string, url: string, seconds: number, wschan: string | undefined): Promise<void> {
  const ws = (await import(wschan ?? "../src/index.js")) as Wschan;
  const def = scenarios(seconds).find((s) => s.id === id)!;
  const gc = (globalThis as { gc?: () => void }).gc!;
  gc();
  gc();
  const baseline = sample();
  const peak = { ...baseline };
  const measure = (): void => {
    const now = sample();
    peak.rss = Math.max(peak.rss, now.rss);
    peak.heap = Math.max(peak.heap, now.heap);
    peak.external = Math.max(peak.external, now.external);
  };
  const notes = await def.client(ws, url, measure);
  measure();
  gc();
  gc();
  process.stdout.write(`${JSON.stringify({ baseline, peak, end: sample(), notes })}\n`);
  process.exit(0);
}

// ---- main ----

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
};
const wschanPath = flag("--wschan");
const wschan = wschanPath === undefined ? undefined : resolve(wschanPath);

if (argv.includes("--child")) {
  await child(flag("--child")!, flag("--url")!, Number(flag("--seconds")), wschan);
} else {
  const seconds = argv.includes("--quick") ? 10 : 60;
  const only = flag("--only")?.split(",");
  const defs = scenarios(seconds).filter((d) => only === undefined || only.includes(d.id));
  const mib = (bytes: number): string => (bytes / MiB).toFixed(1);
  const rows = [
    `| scenario | target | RSS baseline | RSS peak (+) | RSS end (+) | heap peak (+) | buffers peak (+) | notes |`,
    "|---|---|---:|---:|---:|---:|---:|---|",
  ];
  for (const def of defs) {
    process.stderr.write(`hostile: ${def.id}…\n`);
    const server = await startServer(def);
    const report = await runChild(def.id, server.url, seconds, wschan);
    server.close();
    if (typeof report === "string") {
      rows.push(`| ${def.title} | ${def.target} | | | | | | **${report}** |`);
      continue;
    }
    const { baseline: b, peak: p, end: e } = report;
    const notes = Object.entries(report.notes)
      .map(([k, v]) => `${k}: ${v}`)
      .join("; ");
    rows.push(
      `| ${def.title} | ${def.target} | ${mib(b.rss)} | ${mib(p.rss)} (+${mib(p.rss - b.rss)}) | ${mib(e.rss)} (+${mib(e.rss - b.rss)}) | +${mib(p.heap - b.heap)} | +${mib(p.external - b.external)} | ${notes} |`,
    );
  }
  process.stdout.write(`${rows.join("\n")}\n`);
  process.stdout.write(`\nNode ${process.version}, ${wschan ?? "this tree's src"}; MiB.\n`);
}
