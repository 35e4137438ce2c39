import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { deflateRawSync } from "node:zlib";
import t from "tap";
import type { PerMessageDeflateOptions } from "ws";
import * as websocket from "../../src/index.js";
import { closeCodeOf, RawPeer, serverFrame } from "../helpers/raw-peer.js";
import { echo, startWsPeer } from "../helpers/ws-server.js";

t.setTimeout(120_000);

const variants: [string, websocket.CompressionMode, PerMessageDeflateOptions][] = [
  ["context takeover", websocket.COMPRESSION.CONTEXT_TAKEOVER, {}],
  ["no context", websocket.COMPRESSION.NO_CONTEXT, {}],
  [
    "context takeover, server without context",
    websocket.COMPRESSION.CONTEXT_TAKEOVER,
    { serverNoContextTakeover: true },
  ],
  [
    "context takeover, client without context",
    websocket.COMPRESSION.CONTEXT_TAKEOVER,
    { clientNoContextTakeover: true },
  ],
  ["context takeover, client window 9", websocket.COMPRESSION.CONTEXT_TAKEOVER, { clientMaxWindowBits: 9 }],
  ["context takeover, client window 8", websocket.COMPRESSION.CONTEXT_TAKEOVER, { clientMaxWindowBits: 8 }],
  ["context takeover, server window 8", websocket.COMPRESSION.CONTEXT_TAKEOVER, { serverMaxWindowBits: 8 }],
  ["no context, server window 10", websocket.COMPRESSION.NO_CONTEXT, { serverMaxWindowBits: 10 }],
];

const sizes = [0, 1, 127, 128, 511, 512, 4096, 65536, 65537, 1024 * 1024, 16 * 1024 * 1024];

function compressible(size: number): string {
  const unit = '{"symbol":"BTC-USD","price":97000.12,"side":"buy","ts":1732512345678}\n';
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

for (const [name, mode, server] of variants) {
  t.test(`${name}: text and binary from 0 bytes to 16 MiB round-trip through ws identically`, async (t) => {
    const peer = await startWsPeer(
      { perMessageDeflate: { threshold: 0, ...server }, maxPayload: 64 * 1024 * 1024 },
      echo,
    );
    t.teardown(() => peer.close());
    const client = await websocket.connect(peer.url, { compression: mode, read_limit: 32 * 1024 * 1024 });
    t.match(client.extensions, /^permessage-deflate/, `negotiated: ${client.extensions}`);
    const ch = client.channel();
    for (const size of sizes) {
      const text = compressible(size);
      const random = randomBytes(size);
      // Send three before reading any, so that compression is pending while later ones queue.
      const sends = [client.send(text), client.send(random), client.send(text.slice(0, 300))];
      await Promise.all(sends);
      const [a] = await ch.receive();
      const [b] = await ch.receive();
      const [c] = await ch.receive();
      t.ok(a?.type === "text" && a.data === text, `text ${size}`);
      t.ok(b?.type === "binary" && b.data.equals(random), `binary ${size}`);
      t.ok(c?.type === "text" && c.data === text.slice(0, 300), `short text after ${size}`);
    }
    await client.close();
    t.equal((await client.closed).clean, true);
  });
}

t.test("a server that declines compression gets plain messages", async (t) => {
  const peer = await startWsPeer({ perMessageDeflate: false }, echo);
  t.teardown(() => peer.close());
  const client = await websocket.connect(peer.url, { compression: websocket.COMPRESSION.CONTEXT_TAKEOVER });
  t.equal(client.extensions, "");
  await client.send(compressible(5000));
  t.equal((await client.channel().receive())[0]?.data, compressible(5000));
  await client.close();
});

t.test("compression_threshold decides which messages carry RSV1 on the wire", async (t) => {
  const peer = await RawPeer.start({
    respond: (_req, accept) =>
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n`,
  });
  t.teardown(() => peer.close());
  const check = async (
    options: websocket.ConnectOptions,
    sizes: number[],
    expected: boolean[],
  ): Promise<void> => {
    const client = await websocket.connect(peer.url, options);
    const conn = await peer.connection();
    t.match(conn.request.headers["sec-websocket-extensions"], /^permessage-deflate/);
    for (const size of sizes) await client.send(compressible(size));
    const rsv1: boolean[] = [];
    for (const _ of sizes) rsv1.push(((await conn.nextFrame()).rsv & 4) !== 0);
    t.same(rsv1, expected, `${JSON.stringify(options)}: sizes ${sizes.join(", ")}`);
    const closing = client.close();
    await conn.answerClose();
    await closing;
  };
  const C = websocket.COMPRESSION;
  await check({ compression: C.CONTEXT_TAKEOVER }, [0, 127, 128, 5000], [false, false, true, true]);
  await check({ compression: C.NO_CONTEXT }, [128, 511, 512], [false, false, true]);
  await check({ compression: C.CONTEXT_TAKEOVER, compression_threshold: 1000 }, [999, 1000], [false, true]);
});

t.test(
  "a compressed message is inflated and delivered; RSV1 on a continuation closes with 1002",
  async (t) => {
    const peer = await RawPeer.start({
      respond: (_req, accept) =>
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n\r\n`,
    });
    t.teardown(() => peer.close());
    const client = await websocket.connect(peer.url, { compression: websocket.COMPRESSION.CONTEXT_TAKEOVER });
    const conn = await peer.connection();
    const hello = Buffer.from([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
    // The same compressed message split in two fragments, RSV1 on the first only.
    await conn.write(
      Buffer.concat([
        serverFrame(0x1, hello, { rsv: 4 }),
        serverFrame(0x1, hello.subarray(0, 3), { rsv: 4, fin: false }),
        serverFrame(0x0, hello.subarray(3)),
        serverFrame(0x1, "plain"),
        serverFrame(0x1, hello.subarray(0, 3), { rsv: 4, fin: false }),
        serverFrame(0x0, hello.subarray(3), { rsv: 4 }),
      ]),
    );
    const ch = client.channel();
    t.same(await ch.receive(), [{ type: "text", data: "Hello" }, true]);
    t.same(await ch.receive(), [{ type: "text", data: "Hello" }, true]);
    t.same(await ch.receive(), [{ type: "text", data: "plain" }, true]);
    const frames = await conn.framesUntilClose();
    t.equal(closeCodeOf(frames[frames.length - 1]!), 1002);
    conn.end();
    await client.closed;
  },
);

t.test("corrupt deflate data closes with 1007; invalid UTF-8 after inflation closes with 1007", async (t) => {
  for (const payload of [Buffer.from([0xff, 0xff, 0xff, 0x00]), deflateRawSync(Buffer.from([0xc0, 0x80]))]) {
    const peer = await RawPeer.start({
      respond: (_req, accept) =>
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n`,
    });
    const client = await websocket.connect(peer.url, { compression: websocket.COMPRESSION.CONTEXT_TAKEOVER });
    const conn = await peer.connection();
    await conn.write(serverFrame(0x1, payload, { rsv: 4 }));
    const frames = await conn.framesUntilClose();
    t.equal(closeCodeOf(frames[frames.length - 1]!), 1007);
    conn.end();
    t.equal((await client.closed).code, 1007);
    await peer.close();
  }
});

t.test("invalid extension answers fail the handshake, not retryable", async (t) => {
  for (const answer of [
    "permessage-deflate; server_max_window_bits=16",
    "permessage-deflate; unknown=1",
    "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
    "permessage-deflate, permessage-deflate",
    "x-webkit-deflate-frame",
    "permessage-deflate; client_max_window_bits",
  ]) {
    const peer = await RawPeer.start({
      respond: (_req, accept) =>
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Extensions: ${answer}\r\n\r\n`,
    });
    await t.rejects(
      websocket.connect(peer.url, { compression: websocket.COMPRESSION.CONTEXT_TAKEOVER }),
      {
        name: "WebSocketError",
        kind: "INTERNAL",
        retryable: false,
      },
      answer,
    );
    await peer.close();
  }
});

t.test(
  "a 1 GiB decompression bomb against read_limit 1 MiB closes with 1009 and memory stays bounded",
  async (t) => {
    const script = fileURLToPath(new URL("../helpers/bomb-child.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import=tsx", script], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    t.equal(code, 0, "the child finished");
    const result = JSON.parse(out) as {
      closeCode: number;
      clientClose: number;
      rssGrowthMiB: number;
      bombMiB: number;
    };
    t.comment(JSON.stringify(result));
    t.equal(result.closeCode, 1009, "the client sent 1009");
    t.equal(result.clientClose, 1009, "closed reports 1009");
    t.ok(
      result.rssGrowthMiB < 48,
      `RSS grew ${result.rssGrowthMiB.toFixed(1)} MiB for a ${result.bombMiB} MiB bomb`,
    );
  },
);

t.test(
  "a large compressed message still inflating is delivered even when a protocol error or FIN follows it",
  async (t) => {
    const big = Buffer.alloc(200_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff;
    // Compressed size above 64 KiB, so that inflation goes to the thread pool and is still under way.
    const payload = deflateRawSync(big, { level: 0 });
    t.ok(payload.length > 64 * 1024);
    for (const after of ["protocol error", "fin"] as const) {
      const peer = await RawPeer.start({
        respond: (_req, accept) =>
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n`,
      });
      const client = await websocket.connect(peer.url, {
        compression: websocket.COMPRESSION.CONTEXT_TAKEOVER,
      });
      const conn = await peer.connection();
      await conn.write(
        Buffer.concat([
          serverFrame(0x2, payload, { rsv: 4 }),
          after === "fin" ? Buffer.alloc(0) : serverFrame(3, "x"),
        ]),
      );
      if (after === "fin") conn.end();
      const [m, ok] = await client.channel().receive();
      t.ok(ok && m.type === "binary" && m.data.equals(big), `the message before the ${after} arrived whole`);
      if (after === "protocol error") {
        const frames = await conn.framesUntilClose();
        t.equal(closeCodeOf(frames[frames.length - 1]!), 1002);
        conn.end();
      }
      t.equal((await client.closed).code, after === "fin" ? 1006 : 1002);
      t.same(await client.channel().receive(), [undefined, false]);
      await peer.close();
    }
  },
);
