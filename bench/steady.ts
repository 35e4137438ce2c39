// Two builds of wschan in one process, taking turns, against the benchmark's peer server: CPU per
// message in the steady state, after a long warm-up. `npm run bench` runs each client in a fresh
// process and measures it after a short warm-up, so its figures include start-up work (V8
// compiling the hot paths on its background threads, first use of the memory pools); this one
// shows what is left once that is done, and compares two builds without the drift between two
// runs on a shared machine.
//
//   npx tsx bench/steady.ts A/dist/index.js B/dist/index.js [--only recv-bin-16,send-bin-64k] [--rounds 6]
//
// Each build's dist/index.js must sit in a folder with a package.json of "type": "module" (a
// git worktree with `npm run build` done is one). Builds loaded in one process share Node's own
// code and its type feedback, so the first one loaded can look a little faster: swap the two
// and run again before reading anything below about 5%.

import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type * as Wschan from "../src/index.js";
import { listening } from "./listening.js";
import { sendBatch } from "./protocol.js";

const benchDir = dirname(fileURLToPath(import.meta.url));

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
}

const builds = process.argv.slice(2, 4);
if (builds.length !== 2 || builds.some((b) => b.startsWith("--"))) {
  console.error("usage: npx tsx bench/steady.ts A/dist/index.js B/dist/index.js [--only ids] [--rounds N]");
  process.exit(2);
}
const rounds = Number(option("--rounds") ?? 6);

interface Case {
  readonly id: string;
  readonly kind: "recv" | "send";
  readonly size: number;
  readonly count: number;
}

const CASES: readonly Case[] = [
  { id: "recv-bin-16", kind: "recv", size: 16, count: 1_000_000 },
  { id: "recv-bin-1k", kind: "recv", size: 1024, count: 300_000 },
  { id: "recv-bin-64k", kind: "recv", size: 64 * 1024, count: 10_000 },
  { id: "send-bin-16", kind: "send", size: 16, count: 500_000 },
  { id: "send-bin-1k", kind: "send", size: 1024, count: 200_000 },
  { id: "send-bin-64k", kind: "send", size: 64 * 1024, count: 10_000 },
];
const only = option("--only")?.split(",");
const cases = only === undefined ? CASES : CASES.filter((c) => only.includes(c.id));

function startServer(): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, ["--import", "tsx", join(benchDir, "server.ts")], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  return listening(child, /listening (\d+)/).then((match) => ({ port: Number(match[1]), child }));
}

/** CPU microseconds per message (user + system) for one run of `c` with `lib`. */
async function run(lib: typeof Wschan, port: number, c: Case): Promise<number> {
  const path = `/${c.kind}?payload=binary&size=${c.size}&count=${c.count}&deflate=0`;
  const client = await lib.connect(`ws://127.0.0.1:${port}${path}`);
  const channel = client.channel();
  const start = process.cpuUsage();
  if (c.kind === "recv") {
    // The peer starts sending on our first message.
    void client.send("go");
    for (let got = 0; got < c.count; got++) {
      const [, ok] = await channel.receive();
      if (!ok) throw new Error("closed early");
    }
  } else {
    const done = channel.receive();
    const payload = Buffer.alloc(c.size, 7);
    const batch = sendBatch(c.size);
    let previous: Promise<boolean> | undefined;
    for (let sent = 0; sent < c.count; sent += batch) {
      let last: Promise<boolean> | undefined;
      for (let i = 0; i < batch; i++) last = client.send(payload);
      if (previous !== undefined) await previous;
      previous = last;
    }
    await previous;
    await done;
  }
  const used = process.cpuUsage(start);
  await client.close();
  return (used.user + used.system) / c.count;
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;

const libs = await Promise.all(
  builds.map(async (b) => (await import(pathToFileURL(resolve(b)).href)) as typeof Wschan),
);
const server = await startServer();
console.log(
  `Node ${process.version}; A = ${builds[0]}, B = ${builds[1]}; medians of ${rounds} runs each, µs of CPU per message`,
);
console.log("| scenario | A | B | B / A |\n|---|---:|---:|---:|");
for (const c of cases) {
  // Warm-up: two runs each, so that both builds' hot paths are compiled before any is measured.
  for (const lib of libs) for (let i = 0; i < 2; i++) await run(lib, server.port, c);
  const figures: number[][] = [[], []];
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < 2; i++) {
      const which = (i + r) % 2;
      figures[which]!.push(await run(libs[which]!, server.port, c));
    }
  }
  const [a, b] = figures.map(median) as [number, number];
  const digits = a >= 10 ? 1 : a >= 1 ? 2 : 3;
  console.log(`| ${c.id} | ${a.toFixed(digits)} | ${b.toFixed(digits)} | ${(b / a).toFixed(2)} |`);
}
server.child.stdin!.end();
