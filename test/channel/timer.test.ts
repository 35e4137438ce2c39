import t from "tap";
import { after, chan, select, timer } from "../../src/channel/channel.js";
import { errors } from "../../src/errors/errors.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test("a timer fires once with the time, and stop() before that prevents it", async (t) => {
  const start = Date.now();
  const fired = timer("20ms");
  const [at, ok] = await fired.channel.receive();
  t.equal(ok, true);
  t.ok(at instanceof Date && at.getTime() >= start + 20, "the value is the time it fired");
  t.ok(Date.now() - start >= 19, "not before its duration");
  t.equal(fired.stop(), false, "stopping a fired timer reports it had fired");

  const stopped = timer("10ms");
  t.equal(stopped.stop(), true, "stopped while pending");
  const r = await select([stopped.channel.case_receive(), after("40ms").case_receive()]);
  t.equal(r.index, 1, "the stopped timer never fires");
});

t.test("a fired but unreceived value is dropped by stop and by reset (Go 1.23 semantics)", async (t) => {
  const tm = timer(1);
  await sleep(10);
  t.equal(tm.channel.length, 1, "fired with nobody waiting: the value waits in the channel");
  t.equal(tm.stop(), false);
  t.equal(tm.channel.length, 0, "stop dropped it");
  const again = timer(1);
  await sleep(10);
  t.equal(again.reset("30ms"), false);
  t.equal(again.channel.length, 0, "reset dropped it");
  const start = Date.now();
  await again.channel.receive();
  t.ok(Date.now() - start >= 25, "and the timer fires again after the new duration");
});

t.test("reset while a receiver waits moves the deadline", async (t) => {
  const tm = timer("20ms");
  const start = Date.now();
  const waiting = tm.channel.receive();
  await sleep(10);
  t.equal(tm.reset("50ms"), true, "reset while pending");
  await waiting;
  t.ok(Date.now() - start >= 55, "fired 50 ms after the reset, not 20 ms after the start");
});

t.test("the per-message timeout idiom: one timer, reset per message", async (t) => {
  const messages = chan<number>(8);
  const timeout = timer("40ms");
  void (async () => {
    for (let i = 0; i < 5; i++) {
      await sleep(5);
      await messages.send(i);
    }
  })();
  const got: number[] = [];
  let timedOut = false;
  for (;;) {
    const r = await select([messages.case_receive(), timeout.channel.case_receive()]);
    if (r.index === 1) {
      timedOut = true;
      break;
    }
    if (!r.ok) break;
    got.push(r.value);
    timeout.reset("40ms");
  }
  t.same(got, [0, 1, 2, 3, 4]);
  t.equal(timedOut, true, "40 ms of silence after the last message");
  timeout.stop();
});

t.test("an after nobody waits on holds no Node timer: it does not keep the process alive", async (t) => {
  const { execFileSync } = await import("node:child_process");
  const { fileURLToPath } = await import("node:url");
  const module = fileURLToPath(new URL("../../src/channel/channel.ts", import.meta.url));
  const script = `import { after, timer } from ${JSON.stringify(module)};
    after("1h"); timer("1h"); const t0 = Date.now();
    process.on("exit", () => console.log(Date.now() - t0 < 5000 ? "exited" : "late"));`;
  const out = execFileSync(process.execPath, ["--import=tsx", "--input-type=module", "-e", script], {
    encoding: "utf8",
    timeout: 20_000,
  });
  t.equal(out.trim(), "exited");
});

t.test("bad durations are INVALID", async (t) => {
  const bad: (() => unknown)[] = [() => timer("soon"), () => after(-1), () => timer(5).reset("x")];
  for (const make of bad) {
    let caught: unknown;
    try {
      make();
    } catch (error) {
      caught = error;
    }
    t.ok(errors.is(caught, errors.INVALID), `${String(make)} is INVALID`);
  }
});
