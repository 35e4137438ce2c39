// Reads a V8 .cpuprofile (from `npm run bench -- --profile`) and lists where the time went: self
// time per function, and time per source file, so a profile can be compared with ws's for the
// same scenario without opening DevTools.
//
//   npx tsx bench/profile.ts bench/results/profiles/wschan-recv-bin-16-r1.cpuprofile [--top 25] [--callers] [--stack NAME]

import { readFileSync } from "node:fs";
import { basename } from "node:path";

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** A short, stable name for where a function lives. */
function place(frame: CallFrame): string {
  const url = frame.url;
  if (url === "") return "(native)";
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) return url.slice(modules + "node_modules/".length);
  const dist = url.lastIndexOf("/dist/");
  if (dist >= 0) return `wschan ${url.slice(dist + 1)}`;
  if (url.startsWith("node:")) return url;
  return basename(url);
}

function label(frame: CallFrame): string {
  const name = frame.functionName || "(anonymous)";
  return frame.url === "" ? name : `${name}  ${place(frame)}:${frame.lineNumber + 1}`;
}

export function summarizeProfile(
  profile: CpuProfile,
  top: number,
  callers: boolean,
  stackOf?: string,
): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const selfByNode = new Map<number, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    const delta = profile.timeDeltas[i] ?? 0;
    selfByNode.set(id, (selfByNode.get(id) ?? 0) + delta);
    total += delta;
  }
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  const byCaller = new Map<string, Map<string, number>>();
  let idle = 0;
  for (const [id, micros] of selfByNode) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === "(idle)") {
      // Waiting in epoll is not CPU: leave it out of the percentages.
      idle += micros;
      total -= micros;
      continue;
    }
    const key = label(frame);
    byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
    const parent = parentOf.get(id);
    const caller = parent === undefined ? "(root)" : label(byId.get(parent)!.callFrame);
    const callerMap = byCaller.get(key) ?? new Map<string, number>();
    callerMap.set(caller, (callerMap.get(caller) ?? 0) + micros);
    byCaller.set(key, callerMap);
    const file = frame.url === "" ? key : place(frame);
    byFile.set(file, (byFile.get(file) ?? 0) + micros);
  }
  const lines: string[] = [
    `${(total / 1000).toFixed(0)} ms busy sampled (+ ${(idle / 1000).toFixed(0)} ms idle, not counted below)`,
    "",
    "self time by function:",
  ];
  const row = (micros: number, label: string): string =>
    `${((micros / total) * 100).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(1).padStart(8)} ms  ${label}`;
  for (const [key, micros] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(row(micros, key));
    if (!callers) continue;
    const from = [...(byCaller.get(key) ?? [])].sort((a, b) => b[1] - a[1]).slice(0, 3);
    for (const [caller, share] of from)
      lines.push(`${" ".repeat(20)}← ${caller} (${(share / 1000).toFixed(1)} ms)`);
  }
  if (stackOf !== undefined) {
    // The heaviest call paths into functions whose name contains `stackOf`.
    const paths = new Map<string, number>();
    for (const [id, micros] of selfByNode) {
      if (!byId.get(id)!.callFrame.functionName.includes(stackOf)) continue;
      const chain: string[] = [];
      for (let at: number | undefined = id; at !== undefined && chain.length < 10; at = parentOf.get(at)) {
        chain.push(label(byId.get(at)!.callFrame));
      }
      const key = chain.join("\n      ← ");
      paths.set(key, (paths.get(key) ?? 0) + micros);
    }
    lines.push("", `heaviest paths into "${stackOf}":`);
    for (const [path, micros] of [...paths].sort((a, b) => b[1] - a[1]).slice(0, 5)) {
      lines.push(row(micros, path));
    }
  }
  lines.push("", "self time by file:");
  for (const [file, micros] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, top))
    lines.push(row(micros, file));
  return lines.join("\n");
}

function main(): void {
  const args = process.argv.slice(2);
  const at = args.indexOf("--top");
  const top = at >= 0 ? Number(args[at + 1]) : 25;
  const callers = args.includes("--callers");
  const stackAt = args.indexOf("--stack");
  const stackOf = stackAt >= 0 ? args[stackAt + 1] : undefined;
  const files = args.filter(
    (arg, i) => !arg.startsWith("--") && (at < 0 || i !== at + 1) && (stackAt < 0 || i !== stackAt + 1),
  );
  if (files.length === 0) {
    console.error(
      "usage: npx tsx bench/profile.ts FILE.cpuprofile [...] [--top N] [--callers] [--stack NAME]",
    );
    process.exit(2);
  }
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
    console.log(`== ${file}\n${summarizeProfile(profile, top, callers, stackOf)}\n`);
  }
}

main();
