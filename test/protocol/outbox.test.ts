// The outbox: frames from queued to written, the writes handed out, and what it keeps meanwhile.
import { Buffer } from "node:buffer";
import t from "tap";
import { COALESCE_BYTES, MAX_OWED_PONGS, Outbox } from "../../src/protocol/outbox.js";

/** Records the tokens settled, in order. */
function sink(): { settled: string[]; settle(token: string): void } {
  const settled: string[] = [];
  return { settled, settle: (token: string) => settled.push(token) };
}

/** Every byte the outbox's queues refer to (white-box: what it keeps alive). */
function referenced(outbox: Outbox<string>): number {
  const frames = (outbox as unknown as { frames: Buffer[] }).frames;
  return frames.reduce((sum, frame) => sum + frame.length, 0);
}

/**
 * Sends `count` frames of `size` bytes one after another, each queued before the last completes:
 * one frame is always under way, and the queues never empty by themselves.
 */
function keepBusy(outbox: Outbox<string>, s: ReturnType<typeof sink>, size: number, count: number): void {
  const frame = Buffer.alloc(size);
  outbox.push(frame, "0", 0);
  outbox.take();
  for (let i = 1; i <= count; i++) {
    outbox.push(frame, String(i), i);
    outbox.written(s, 1);
    outbox.take();
  }
}

t.test(
  "small frames are joined into one write, large ones go alone, and tokens settle in order",
  async (t) => {
    const outbox = new Outbox<string>();
    const s = sink();
    outbox.push(Buffer.from("ab"), "a", 0);
    outbox.push(Buffer.from("cd"), "b", 0);
    // A large frame at an offset, so that completing it gives nothing to the shared frame pool.
    const large = Buffer.alloc(COALESCE_BYTES + 1).subarray(1);
    outbox.push(large, "c", 0);
    outbox.push(Buffer.from("e"), undefined, 0);
    t.equal(outbox.bytes, 5 + COALESCE_BYTES);
    t.equal(outbox.take()?.toString(), "abcd", "the two small frames, joined");
    t.equal(outbox.take(), large, "the large one alone, not copied");
    t.equal(outbox.take()?.toString(), "e");
    t.equal(outbox.take(), undefined, "nothing more waits");
    t.ok(outbox.busy);
    t.equal(outbox.written(s, 1), 4, "the first write's size");
    t.same(s.settled, ["a", "b"], "both frames of the joined write");
    t.equal(outbox.written(s, 1), COALESCE_BYTES);
    t.equal(outbox.written(s, 1), 1);
    t.same(s.settled, ["a", "b", "c"], "control frames have no token");
    t.equal(outbox.written(s, 1), 0, "no write was under way");
    t.notOk(outbox.busy);
    t.equal(outbox.bytes, 0);
  },
);

t.test("drain gives the tokens of the writes under way, then those of the frames waiting", async (t) => {
  const outbox = new Outbox<string>();
  outbox.push(Buffer.from("1"), "under way", 0);
  outbox.take();
  outbox.push(Buffer.from("2"), "waiting", 5);
  t.equal(outbox.oldest, 0, "the oldest unwritten frame is the one under way");
  t.same(outbox.drain(), ["under way", "waiting"]);
  t.equal(outbox.bytes, 0);
  t.equal(outbox.oldest, undefined);
  t.notOk(outbox.busy);
  t.notOk(outbox.waiting);
});

t.test("a sender that never lets the outbox empty does not make it keep written frames", async (t) => {
  const outbox = new Outbox<string>();
  const s = sink();
  keepBusy(outbox, s, 1000, 10_000);
  t.equal(s.settled.length, 10_000);
  t.equal(s.settled.at(-1), "9999", "completed in order");
  t.equal(outbox.bytes, 1000, "one frame is under way");
  t.equal(referenced(outbox), 1000, "the queues refer to that frame only, not to the 10,000 written");
  const slots = (outbox as unknown as { frames: Buffer[] }).frames.length;
  t.ok(slots < 3000, `the queues were cut short (${slots} slots)`);
  t.equal(outbox.oldest, 10_000, "the frame under way is the last one queued");
});

t.test("owed pongs stay bounded and in place when the queues are cut short", async (t) => {
  const outbox = new Outbox<string>();
  const s = sink();
  keepBusy(outbox, s, 10, 2000);
  // A write is under way; the pongs wait behind it, past the slots that were cut off.
  for (let i = 0; i < MAX_OWED_PONGS + 5; i++) outbox.pushPong(Buffer.from(`p${i}`), 0);
  t.equal(outbox.owedPongs, MAX_OWED_PONGS);
  outbox.written(s, 1);
  const out = outbox.take()?.toString() ?? "";
  const pongs = out.match(/p\d+/g) ?? [];
  t.equal(pongs.length, MAX_OWED_PONGS, "as many pongs as may be owed");
  t.equal(pongs.at(-1), `p${MAX_OWED_PONGS + 4}`, "the newest replaced the newest waiting");
  t.equal(pongs.at(-2), `p${MAX_OWED_PONGS - 2}`);
  t.equal(outbox.owedPongs, 0, "handed out");
});
