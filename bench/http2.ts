// WebSockets over HTTP/2 against HTTP/1.1 (docs/http2.md): `npx tsx bench/http2.ts [--n 1000]
// [--count 100] [--size 64] [--rounds 3]`. Starts bench/http2-server.ts, then for each round runs
// one client process per transport (bench/http2-client.ts): the time to open <n> connections to
// one origin, the memory held per connection (RSS, JS heap, buffers outside the heap, after a full
// GC), and the receive throughput of <count> messages of <size> bytes on every connection at once.
// Prints a markdown table of the medians.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { listening } from "./listening.js";

const benchDir = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    n: { type: "string", default: "1000" },
    count: { type: "string", default: "100" },
    size: { type: "string", default: "64" },
    rounds: { type: "string", default: "3" },
  },
});
const n = Number(values.n);
const count = Number(values.count);
const size = Number(values.size);
const rounds = Number(values.rounds);

interface Result {
  readonly transport: "h1" | "h2";
  readonly openMs: number;
  readonly rssPerConnection: number;
  readonly heapPerConnection: number;
  readonly externalPerConnection: number;
  readonly messagesPerSecond: number;
  readonly mbPerSecond: number;
}

function startServer(): Promise<{ child: ChildProcess; h1: number; h2: number }> {
  const child = spawn(process.execPath, ["--import", "tsx", join(benchDir, "http2-server.ts")], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return listening(child, /listening (\d+) (\d+)/).then((match) => ({
    child,
    h1: Number(match[1]),
    h2: Number(match[2]),
  }));
}

function runClient(transport: "h1" | "h2", port: number): Result {
  const run = spawnSync(
    process.execPath,
    [
      "--expose-gc",
      "--import",
      "tsx",
      join(benchDir, "http2-client.ts"),
      transport,
      String(port),
      String(n),
      String(count),
      String(size),
    ],
    { encoding: "utf8", timeout: 300_000 },
  );
  if (run.status !== 0) throw new Error(`${transport} client failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split("\n").pop()!) as Result;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const server = await startServer();
try {
  const results: Record<"h1" | "h2", Result[]> = { h1: [], h2: [] };
  for (let round = 0; round < rounds; round++) {
    for (const transport of ["h1", "h2"] as const) {
      const result = runClient(transport, transport === "h1" ? server.h1 : server.h2);
      results[transport].push(result);
      console.error(`round ${round + 1}: ${JSON.stringify(result)}`);
    }
  }
  const kib = (bytes: number): string => (bytes / 1024).toFixed(1);
  const row = (label: string, list: Result[]): string => {
    const m = (pick: (r: Result) => number): number => median(list.map(pick));
    return `| ${label} | ${m((r) => r.openMs).toFixed(0)} ms | ${kib(m((r) => r.rssPerConnection))} KiB | ${kib(m((r) => r.heapPerConnection))} KiB | ${m((r) => r.externalPerConnection).toFixed(0)} B | ${(m((r) => r.messagesPerSecond) / 1000).toFixed(0)} k msg/s (${m((r) => r.mbPerSecond).toFixed(1)} MB/s) |`;
  };
  console.log(
    `${n} connections to one origin, ${count} messages of ${size} B each received on all of them at once; median of ${rounds} rounds, Node ${process.version}.\n`,
  );
  console.log(
    "| transport | open all | RSS / connection | JS heap / connection | buffers / connection | receive throughput |",
  );
  console.log("|---|---|---|---|---|---|");
  console.log(row(`HTTP/1.1 (${n} TCP connections)`, results.h1));
  console.log(row(`HTTP/2 (${Math.ceil(n / 2000)} session, ${n} streams)`, results.h2));
} finally {
  server.child.kill();
}
