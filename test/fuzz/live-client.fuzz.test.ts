import t from "tap";
import * as websocket from "../../src/index.js";
import { binary, close, continuation, ping, pong, prng, text } from "../helpers/frames.js";
import { closeCodeOf, RawPeer } from "../helpers/raw-peer.js";

// Random and mutated frame streams sent by our raw peer to a live client over a real socket.
// The only outcomes accepted: the client echoes the server's Close (1000 here) or fails the
// connection with 1002, 1007 or 1009; `closed` always resolves; nothing throws.
t.setTimeout(120_000);

const RUNS = Number(process.env.WSCHAN_LIVE_FUZZ_RUNS ?? 300);
const SEED = Number(process.env.WSCHAN_FUZZ_SEED ?? 0x5eed);
const READ_LIMIT = 4096;

function stream(next: () => number): { bytes: Buffer; tooBig: boolean } {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const utf8 = (n: number): string => "aé€😀".repeat(n).slice(0, n);
  const parts: Buffer[] = [];
  let tooBig = false;
  const size = (): number => pick([0, 1, 5, 125, 126, 300, 4096, 5000]);
  const track = (payload: string | Buffer): string | Buffer => {
    if (Buffer.byteLength(payload) > READ_LIMIT) tooBig = true;
    return payload;
  };
  const count = 1 + Math.floor(next() * 6);
  for (let i = 0; i < count; i++) {
    const kind = pick(["text", "binary", "fragmented", "ping", "pong"] as const);
    if (kind === "text") parts.push(text(track(utf8(size()))));
    else if (kind === "binary") parts.push(binary(track(Buffer.alloc(size(), i))));
    else if (kind === "ping") parts.push(ping("p"));
    else if (kind === "pong") parts.push(pong("q"));
    else {
      parts.push(
        text(utf8(3), { fin: false }),
        ping("mid"),
        continuation(utf8(4), { fin: false }),
        continuation("end"),
      );
    }
  }
  parts.push(close(1000, "bye"));
  return { bytes: Buffer.concat(parts), tooBig };
}

function mutate(bytes: Buffer, next: () => number): Buffer {
  const out = Buffer.from(bytes);
  const edits = 1 + Math.floor(next() * 3);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(next() * out.length);
    const op = Math.floor(next() * 3);
    if (op === 0) out[at] = out[at]! ^ (1 << Math.floor(next() * 8));
    else if (op === 1) out[at] = Math.floor(next() * 256);
    else out[at] = 0xff;
  }
  return out;
}

t.test(
  `${RUNS} random and mutated streams against a live client end only in documented ways (seed ${SEED})`,
  async (t) => {
    const peer = await RawPeer.start();
    t.teardown(() => peer.close());
    const next = prng(SEED);
    const outcomes = new Map<string, number>();
    let failures = 0;
    for (let run = 0; run < RUNS; run++) {
      const clean = stream(next);
      const mutated = next() < 0.7;
      const bytes = mutated ? mutate(clean.bytes, next) : clean.bytes;
      const client = await websocket.connect(peer.url, { read_limit: READ_LIMIT });
      const conn = await peer.connection();
      const echoing = (async () => {
        for await (const message of client.channel()) await client.send(message.data).catch(() => {});
      })();
      // Write in a few random pieces so frames straddle reads.
      let at = 0;
      while (at < bytes.length) {
        const n = 1 + Math.floor(next() * bytes.length);
        await conn.write(bytes.subarray(at, at + n));
        at += n;
      }
      let code: number | "none" = "none";
      try {
        const frames = await conn.framesUntilClose(500);
        code = closeCodeOf(frames[frames.length - 1]!);
      } catch {
        // A mutated length can leave the client waiting for payload that never comes: that is
        // correct (it cannot know), so the peer ends TCP and the client must report 1006.
      }
      conn.end();
      const info = await client.closed;
      await echoing;
      const outcome = `${mutated ? "mutated" : "valid"}: ${code === "none" ? `no close, closed ${info.code}` : `close ${code}`}`;
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      const allowed =
        code === "none"
          ? info.code === 1006 && mutated
          : mutated
            ? [1000, 1002, 1007, 1009].includes(code)
            : code === (clean.tooBig ? 1009 : 1000);
      if (!allowed) {
        failures++;
        t.fail(`run ${run}: ${outcome} (mutated ${mutated}) bytes ${bytes.toString("hex").slice(0, 200)}`);
      }
    }
    t.comment(`outcomes: ${JSON.stringify(Object.fromEntries(outcomes))}`);
    t.equal(failures, 0, `${RUNS} streams, every one ended in a documented way`);
  },
);
