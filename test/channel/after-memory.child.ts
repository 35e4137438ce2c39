// Child process for after-memory.test.ts (run with --expose-gc): 200,000 messages, each received
// with a per-message timeout, first as `select([ch, after("30s")])`, then with one timer reset per
// message. Prints the JS heap growth after a full GC for each, in bytes, as JSON.
// argv[2]: the channel module to load (so the same loop can measure another version of it).
import { pathToFileURL } from "node:url";

const MESSAGES = 200_000;
type Mod = typeof import("../../src/channel/channel.js");
const mod = (await import(pathToFileURL(process.argv[2]!).href)) as Mod;
const gc = (globalThis as { gc?: () => void }).gc!;

async function settle(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setImmediate(r));
    gc();
  }
  return process.memoryUsage().heapUsed;
}

/** Delivers the messages in bursts, so that the receiver sometimes finds a value ready and sometimes waits. */
function produce(core: InstanceType<Mod["ChannelCore"]>): void {
  let sent = 0;
  const burst = () => {
    for (let i = 0; i < 64 && sent < MESSAGES; i++) core.send(sent++);
    if (sent < MESSAGES) setImmediate(burst);
    else core.close();
  };
  setImmediate(burst);
}

async function withAfter(): Promise<number> {
  const core = new mod.ChannelCore<number>();
  produce(core);
  let received = 0;
  for (;;) {
    const r = await mod.select([core.channel.case_receive(), mod.after("30s").case_receive()]);
    if (r.channel !== core.channel) throw new Error("a 30 s timeout fired");
    if (!r.ok) break;
    received++;
  }
  if (received !== MESSAGES) throw new Error(`received ${received}`);
  return received;
}

async function withTimer(): Promise<number> {
  if (typeof mod.timer !== "function") return 0;
  const core = new mod.ChannelCore<number>();
  produce(core);
  const timeout = mod.timer("30s");
  let received = 0;
  for (;;) {
    const r = await mod.select([core.channel.case_receive(), timeout.channel.case_receive()]);
    if (r.channel !== core.channel) throw new Error("a 30 s timeout fired");
    if (!r.ok) break;
    received++;
    timeout.reset("30s");
  }
  timeout.stop();
  if (received !== MESSAGES) throw new Error(`received ${received}`);
  return received;
}

const base = await settle();
await withAfter();
const afterGrowth = (await settle()) - base;
const base2 = await settle();
const timed = await withTimer();
const timerGrowth = timed === 0 ? null : (await settle()) - base2;
console.log(JSON.stringify({ after: afterGrowth, timer: timerGrowth }));
process.exit(0);
