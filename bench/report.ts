// Turns the runs into medians, ratios, the targets, markdown tables and an SVG chart.
// Pure functions: run.ts does the writing.

import type { ChildResult } from "./child.js";
import { CLIENT_NAMES, type ClientName } from "./clients.js";
import { SCENARIOS, type Scenario } from "./protocol.js";

const MiB = 1024 * 1024;

/** One child process's outcome. */
export interface RunRecord {
  readonly scenario: string;
  readonly client: ClientName;
  readonly round: number;
  readonly result: ChildResult;
}

/** The medians over the rounds of one client in one scenario. */
export interface Summary {
  readonly scenario: string;
  readonly client: ClientName;
  readonly runs: number;
  readonly errors: readonly string[];
  readonly na?: string;
  readonly msgsPerSec?: number;
  readonly mibPerSec?: number;
  readonly cpuUsPerMsg?: number;
  readonly cpuMsPerMiB?: number;
  readonly peakRssMiB?: number;
  readonly p50Us?: number;
  readonly p99Us?: number;
  readonly rssPerConnKiB?: number;
  readonly heapPerConnKiB?: number;
  /** Fairness scenario: the repeated 1 ms timer's lateness, the event-loop delay, the second connection's share. */
  readonly timerP99Ms?: number;
  readonly timerMaxMs?: number;
  readonly loopDelayP99Ms?: number;
  readonly secondShare?: number;
  /** Messages/s relative to ws, ws with native addons, and the raw-TCP ceiling. */
  readonly xWs?: number;
  readonly xWsNative?: number;
  readonly ofCeiling?: number;
  /** ws's CPU per message divided by this client's: above 1 means cheaper than ws. */
  readonly cpuXWs?: number;
  readonly cpuXWsNative?: number;
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function medianOf(results: readonly ChildResult[], pick: (r: ChildResult) => number | undefined) {
  return median(results.map(pick).filter((v): v is number => v !== undefined && Number.isFinite(v)));
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

/** Medians per (scenario, client), then ratios against ws, ws-native and the ceiling. */
export function summarize(records: readonly RunRecord[], clients: readonly ClientName[]): Summary[] {
  const base: Summary[] = [];
  for (const scenario of SCENARIOS) {
    for (const client of clients) {
      const mine = records.filter((r) => r.scenario === scenario.id && r.client === client);
      if (mine.length === 0) continue;
      const good = mine.map((r) => r.result).filter((r) => r.ok && r.na === undefined);
      const errors = mine.filter((r) => !r.result.ok).map((r) => firstLine(r.result.error ?? "failed"));
      const na = mine.find((r) => r.result.na !== undefined)?.result.na;
      const cpuMs = (r: ChildResult) => (r.cpuUserMs ?? 0) + (r.cpuSystemMs ?? 0);
      base.push({
        scenario: scenario.id,
        client,
        runs: good.length,
        errors,
        ...(na !== undefined && good.length === 0 ? { na } : {}),
        msgsPerSec: medianOf(good, (r) =>
          r.count === undefined ? undefined : r.count / (r.elapsedMs! / 1000),
        ),
        mibPerSec: medianOf(good, (r) =>
          r.payloadBytes === undefined ? undefined : r.payloadBytes / MiB / (r.elapsedMs! / 1000),
        ),
        cpuUsPerMsg: medianOf(good, (r) => (r.count === undefined ? undefined : (cpuMs(r) * 1000) / r.count)),
        cpuMsPerMiB: medianOf(good, (r) =>
          r.payloadBytes === undefined || r.payloadBytes === 0
            ? undefined
            : cpuMs(r) / (r.payloadBytes / MiB),
        ),
        peakRssMiB: medianOf(good, (r) => r.maxRssKiB / 1024),
        p50Us: medianOf(good, (r) => r.latency?.p50Us),
        p99Us: medianOf(good, (r) => r.latency?.p99Us),
        rssPerConnKiB: medianOf(good, (r) => r.idle?.rssPerConnKiB),
        heapPerConnKiB: medianOf(good, (r) => r.idle?.heapPerConnKiB),
        timerP99Ms: medianOf(good, (r) => r.fairness?.timerP99Ms),
        timerMaxMs: medianOf(good, (r) => r.fairness?.timerMaxMs),
        loopDelayP99Ms: medianOf(good, (r) => r.fairness?.loopDelayP99Ms),
        secondShare: medianOf(good, (r) => r.fairness?.secondShare),
      });
    }
  }
  return base.map((s) => {
    const of = (client: ClientName) => base.find((b) => b.scenario === s.scenario && b.client === client);
    const ws = of("ws");
    const wsNative = of("ws-native");
    const raw = of("raw");
    return {
      ...s,
      xWs: ratio(s.msgsPerSec, ws?.msgsPerSec),
      xWsNative: ratio(s.msgsPerSec, wsNative?.msgsPerSec),
      ofCeiling: ratio(s.msgsPerSec, raw?.msgsPerSec),
      cpuXWs: ratio(ws?.cpuUsPerMsg, s.cpuUsPerMsg),
      cpuXWsNative: ratio(wsNative?.cpuUsPerMsg, s.cpuUsPerMsg),
    };
  });
}

function firstLine(text: string): string {
  return text.split("\n")[0]!.slice(0, 200);
}

// ---- targets of issue 4 ----

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  /** undefined when it could not be judged (a client missing, n/a). */
  readonly met: boolean | undefined;
}

const fmtX = (x: number | undefined): string => (x === undefined ? "–" : `${x.toFixed(2)}×`);
const fmtPct = (x: number | undefined): string => (x === undefined ? "–" : `${(x * 100).toFixed(0)}%`);

/** The issues' targets; `nodeMajor` is the Node version the clients ran on (text targets differ). */
export function checkTargets(summaries: readonly Summary[], nodeMajor: number): TargetCheck[] {
  const get = (scenario: string, client: ClientName) =>
    summaries.find((s) => s.scenario === scenario && s.client === client);
  const checks: TargetCheck[] = [];
  const relative = (
    scenario: string,
    target: string,
    need: number,
    against: "ws" | "ws-native",
    client: ClientName = "wschan",
  ) => {
    const w = get(scenario, client);
    if (w?.na !== undefined) {
      checks.push({ target, measured: `n/a: ${w.na}`, met: undefined });
      return;
    }
    const rate = against === "ws" ? w?.xWs : w?.xWsNative;
    const cpu = against === "ws" ? w?.cpuXWs : w?.cpuXWsNative;
    checks.push({
      target,
      measured: `${fmtX(rate)} by rate, ${fmtX(cpu)} by CPU/msg`,
      met: rate === undefined ? undefined : rate >= need,
    });
  };
  // Issue 17: receiving through the path without a promise per message, and through `for await`.
  for (const [id, size] of [
    ["recv-bin-16", "16 B"],
    ["recv-bin-1k", "1 KiB"],
  ] as const) {
    relative(id, `receive binary ${size} ≥ 2× ws (receiveBatch)`, 2, "ws", "wschan-batch");
    relative(id, `receive binary ${size} ≥ 1.5× ws (for await)`, 1.5, "ws", "wschan-iter");
    relative(id, `receive binary ${size}, receive() (no target)`, 0, "ws");
  }
  for (const id of ["recv-bin-64k", "recv-bin-1m"]) {
    const w = get(id, "wschan");
    const raw = get(id, "raw");
    checks.push({
      target: `${SCENARIOS.find((s) => s.id === id)!.title} ≥ 90% of the TCP ceiling`,
      measured: `${fmtPct(w?.ofCeiling)} of ceiling (CPU ${num(w?.cpuMsPerMiB, 3)} vs ${num(raw?.cpuMsPerMiB, 3)} ms/MiB)`,
      met: w?.ofCeiling === undefined ? undefined : w.ofCeiling >= 0.9,
    });
  }
  // 1.3× on Node 20 (whose UTF-8 decoder is slower), 1.5× on Node 24.
  const textNeed = nodeMajor >= 24 ? 1.5 : 1.3;
  relative(
    "recv-text-1k",
    `receive text 1 KiB ≥ ${textNeed}× ws (receiveBatch)`,
    textNeed,
    "ws",
    "wschan-batch",
  );
  relative("recv-text-1k", `receive text 1 KiB ≥ ${textNeed}× ws (receive())`, textNeed, "ws");
  relative("send-bin-16", "send binary 16 B ≥ 3× ws", 3, "ws");
  relative("send-bin-1k", "send binary 1 KiB ≥ 3× ws", 3, "ws");
  relative("send-bin-64k", "send binary 64 KiB ≥ ws with bufferutil", 1, "ws-native");
  relative("send-bin-1m", "send binary 1 MiB ≥ ws with bufferutil", 1, "ws-native");
  {
    const w = get("rtt-32", "wschan");
    const ws = get("rtt-32", "ws");
    const cpuOk =
      w?.cpuUsPerMsg !== undefined && ws?.cpuUsPerMsg !== undefined && w.cpuUsPerMsg <= ws.cpuUsPerMsg * 0.9;
    checks.push({
      target: "round trip 32 B: CPU/RT ≤ 0.9× ws",
      measured:
        `CPU ${num(w?.cpuUsPerMsg, 3)} vs ${num(ws?.cpuUsPerMsg, 3)} µs/RT; ` +
        `p50 ${num(w?.p50Us, 3)} vs ${num(ws?.p50Us, 3)} µs; p99 ${num(w?.p99Us, 3)} vs ${num(ws?.p99Us, 3)} µs`,
      met: w === undefined || ws === undefined ? undefined : cpuOk,
    });
  }
  {
    const w = get("idle-2000", "wschan");
    const ws = get("idle-2000", "ws");
    const x = ratio(w?.rssPerConnKiB, ws?.rssPerConnKiB);
    checks.push({
      target: "idle connection RSS ≤ 0.75× ws",
      measured: `${num(w?.rssPerConnKiB, 3)} KiB/conn = ${fmtX(x)} ws (ws ${num(ws?.rssPerConnKiB, 3)}, bare socket ${num(get("idle-2000", "raw")?.rssPerConnKiB, 3)})`,
      met: x === undefined ? undefined : x <= 0.75,
    });
  }
  {
    const w = get("fair-flood-16", "wschan");
    checks.push({
      target: "flood of 16 B: a 1 ms timer fires within 5 ms at p99",
      measured: `p99 ${num(w?.timerP99Ms, 3)} ms late (event-loop delay p99 ${num(w?.loopDelayP99Ms, 3)} ms; ws ${num(get("fair-flood-16", "ws")?.timerP99Ms, 3)} ms); 2nd connection at ${num(w?.secondShare, 2)} of the flood's rate`,
      met: w?.timerP99Ms === undefined ? undefined : w.timerP99Ms + 1 <= 5,
    });
  }
  relative("recv-deflate", "receive deflate JSON ≥ 3× ws", 3, "ws");
  relative("send-deflate", "send deflate JSON ≥ 3× ws", 3, "ws");
  // Leave out the targets whose scenarios did not run (--only, --clients).
  return checks.filter((check) => check.met !== undefined || !check.measured.startsWith("–"));
}

// ---- markdown ----

/** `value` to `digits` significant digits, with k/M for large numbers. */
export function num(value: number | undefined, digits = 3): string {
  if (value === undefined || !Number.isFinite(value)) return "–";
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${(value / 1e6).toPrecision(digits)} M`;
  if (abs >= 1e4) return `${(value / 1e3).toPrecision(digits)} k`;
  if (abs >= 100) return value.toFixed(0);
  return value.toPrecision(digits);
}

export const CLIENT_LABELS: Readonly<Record<ClientName, string>> = {
  wschan: "wschan",
  "wschan-base": "wschan baseline (--baseline)",
  "wschan-batch": "wschan receiveBatch",
  "wschan-iter": "wschan for await",
  ws: "ws (pure JS)",
  "ws-native": "ws + bufferutil",
  undici: "undici",
  raw: "raw TCP ceiling",
};

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const lines = [
    `| ${header.join(" | ")} |`,
    `|${header.map((_, i) => (i < 2 ? " --- " : " ---: ")).join("|")}|`,
  ];
  for (const row of rows) lines.push(`| ${row.join(" | ")} |`);
  return lines.join("\n");
}

function scenarioOf(id: string): Scenario {
  return SCENARIOS.find((s) => s.id === id)!;
}

export function markdown(
  summaries: readonly Summary[],
  targets: readonly TargetCheck[],
  records: readonly RunRecord[] = [],
): string {
  const out: string[] = [];
  const status = (s: Summary): string | undefined => {
    if (s.na !== undefined) return `n/a (${s.na})`;
    if (s.runs === 0) return `failed: ${s.errors[0] ?? "no result"}`;
    return undefined;
  };
  const throughput = summaries.filter((s) => ["recv", "send"].includes(scenarioOf(s.scenario).kind));
  out.push("### Throughput (medians over rounds)\n");
  out.push(
    table(
      [
        "scenario",
        "client",
        "msg/s",
        "MiB/s",
        "CPU µs/msg",
        "CPU ms/MiB",
        "peak RSS MiB",
        "× ws",
        "× ws+bufferutil",
        "of ceiling",
        "CPU × ws",
      ],
      throughput.map((s) => {
        const bad = status(s);
        const title = scenarioOf(s.scenario).title;
        if (bad !== undefined) return [title, CLIENT_LABELS[s.client], bad, "", "", "", "", "", "", "", ""];
        return [
          title,
          CLIENT_LABELS[s.client],
          num(s.msgsPerSec),
          num(s.mibPerSec),
          num(s.cpuUsPerMsg),
          num(s.cpuMsPerMiB),
          num(s.peakRssMiB),
          fmtX(s.xWs),
          fmtX(s.xWsNative),
          fmtPct(s.ofCeiling),
          fmtX(s.cpuXWs),
        ];
      }),
    ),
  );
  const rtt = summaries.filter((s) => scenarioOf(s.scenario).kind === "rtt");
  if (rtt.length > 0) {
    out.push("\n### Round trips of 32 B (sequential)\n");
    out.push(
      table(
        ["scenario", "client", "RT/s", "p50 µs", "p99 µs", "CPU µs/RT", "CPU × ws", "peak RSS MiB"],
        rtt.map((s) => {
          const bad = status(s);
          if (bad !== undefined) return ["round trip 32 B", CLIENT_LABELS[s.client], bad, "", "", "", "", ""];
          return [
            "round trip 32 B",
            CLIENT_LABELS[s.client],
            num(s.msgsPerSec),
            num(s.p50Us),
            num(s.p99Us),
            num(s.cpuUsPerMsg),
            fmtX(s.cpuXWs),
            num(s.peakRssMiB),
          ];
        }),
      ),
    );
  }
  const idle = summaries.filter((s) => scenarioOf(s.scenario).kind === "idle");
  if (idle.length > 0) {
    out.push("\n### Idle connections (2,000 from one process)\n");
    out.push(
      table(
        ["scenario", "client", "RSS KiB/conn", "heap+external KiB/conn", "peak RSS MiB"],
        idle.map((s) => {
          const bad = status(s);
          if (bad !== undefined) return ["2,000 idle", CLIENT_LABELS[s.client], bad, "", ""];
          return [
            "2,000 idle",
            CLIENT_LABELS[s.client],
            num(s.rssPerConnKiB),
            num(s.heapPerConnKiB),
            num(s.peakRssMiB),
          ];
        }),
      ),
    );
  }
  const many = records.filter((r) => scenarioOf(r.scenario).kind === "scale");
  if (many.length > 0) {
    out.push("\n### Many idle connections from one process (each round)\n");
    out.push(
      table(
        [
          "client",
          "round",
          "connections",
          "open s",
          "RSS KiB/conn",
          "heap+ext KiB/conn",
          "ping sweep ms",
          "sweep CPU µs/conn",
        ],
        many.map((r) => {
          const x = r.result.scale;
          if (x === undefined)
            return [
              CLIENT_LABELS[r.client],
              String(r.round + 1),
              r.result.error?.split("\n")[0] ?? "failed",
              "",
              "",
              "",
              "",
              "",
            ];
          return [
            CLIENT_LABELS[r.client],
            String(r.round + 1),
            num(x.connections),
            num((x.openMs ?? 0) / 1000),
            num(x.rssPerConnKiB),
            num(x.heapPerConnKiB),
            num(x.sweepMs),
            num(x.sweepCpuUsPerConn),
          ];
        }),
      ),
    );
  }
  const fair = summaries.filter((s) => scenarioOf(s.scenario).kind === "fair" && s.na === undefined);
  if (fair.length > 0) {
    out.push("\n### Fairness: one connection flooded with 16 B messages\n");
    out.push(
      table(
        [
          "scenario",
          "client",
          "flood msg/s",
          "1 ms timer late p99 ms",
          "late max ms",
          "event-loop delay p99 ms",
          "2nd connection's rate / flood's",
        ],
        fair.map((s) => {
          const bad = status(s);
          if (bad !== undefined) return ["flood 16 B", CLIENT_LABELS[s.client], bad, "", "", "", ""];
          return [
            "flood 16 B",
            CLIENT_LABELS[s.client],
            num(s.msgsPerSec),
            num(s.timerP99Ms),
            num(s.timerMaxMs),
            num(s.loopDelayP99Ms),
            num(s.secondShare),
          ];
        }),
      ),
    );
  }
  if (targets.length > 0) {
    out.push("\n### Targets of issues 4 and 17 (wschan)\n");
    out.push(
      table(
        ["target", "", "measured"],
        targets.map((t) => [t.target, t.met === undefined ? "?" : t.met ? "met" : "**missed**", t.measured]),
      ),
    );
  }
  return `${out.join("\n")}\n`;
}

// ---- SVG chart ----

const COLORS: Readonly<Record<ClientName, string>> = {
  wschan: "#2563eb",
  "wschan-base": "#a855f7",
  "wschan-batch": "#1e3a8a",
  "wschan-iter": "#60a5fa",
  ws: "#9ca3af",
  "ws-native": "#4b5563",
  undici: "#d97706",
  raw: "#10b981",
};

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * A horizontal grouped bar chart, one group per scenario, each bar a client's figure relative to
 * pure-JavaScript ws (higher is better): messages/s for throughput, ws's CPU per round trip over
 * the client's for round trips, ws's RSS per connection over the client's for idle connections.
 * The raw-TCP ceiling is given as text, since it would dwarf the bars.
 */
export function chart(summaries: readonly Summary[], subtitle: string): string {
  const bars = CLIENT_NAMES.filter((c) => c !== "raw" && summaries.some((s) => s.client === c));
  const scenarios = SCENARIOS.filter(
    (s) => s.kind !== "fair" && s.kind !== "scale" && summaries.some((x) => x.scenario === s.id),
  );
  const width = 1200;
  const left = 250;
  const plot = 480;
  const barH = 13;
  const groupGap = 16;
  const top = 74;
  const groupH = bars.length * (barH + 2) + groupGap;
  const height = top + scenarios.length * groupH + 40;

  const value = (s: Summary | undefined, scenario: Scenario): number | undefined => {
    if (s === undefined || s.na !== undefined || s.runs === 0) return undefined;
    if (scenario.kind === "rtt") return s.cpuXWs;
    if (scenario.kind === "idle") {
      const ws = summaries.find((x) => x.scenario === scenario.id && x.client === "ws");
      return ratio(ws?.rssPerConnKiB, s.rssPerConnKiB);
    }
    return s.xWs;
  };
  let max = 2;
  for (const scenario of scenarios) {
    for (const client of bars) {
      const v = value(
        summaries.find((x) => x.scenario === scenario.id && x.client === client),
        scenario,
      );
      if (v !== undefined) max = Math.max(max, v);
    }
  }
  max = Math.min(Math.ceil(max), 8);
  const x = (v: number): number => left + (Math.min(v, max) / max) * plot;

  const svg: string[] = [];
  svg.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12" role="img">`,
    `<title>wschan throughput, latency and memory relative to ws: ${escapeXml(subtitle)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="600">wschan vs ws and undici — relative to ws (pure JS), higher is better</text>`,
    `<text x="16" y="44" fill="#4b5563">${escapeXml(subtitle)}</text>`,
  );
  // Legend.
  let lx = 16;
  for (const client of bars) {
    svg.push(
      `<rect x="${lx}" y="54" width="12" height="12" fill="${COLORS[client]}"/>`,
      `<text x="${lx + 16}" y="64">${escapeXml(CLIENT_LABELS[client])}</text>`,
    );
    lx += 30 + CLIENT_LABELS[client].length * 7;
  }
  // Grid: one line per whole multiple of ws, the 1× line darker.
  for (let g = 0; g <= max; g++) {
    const gx = x(g);
    svg.push(
      `<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${height - 30}" stroke="${g === 1 ? "#374151" : "#e5e7eb"}" stroke-width="${g === 1 ? 1.5 : 1}"/>`,
      `<text x="${gx}" y="${height - 14}" text-anchor="middle" fill="#4b5563">${g}×</text>`,
    );
  }
  scenarios.forEach((scenario, index) => {
    const gy = top + index * groupH;
    const raw = summaries.find((x) => x.scenario === scenario.id && x.client === "raw");
    const ws = summaries.find((x) => x.scenario === scenario.id && x.client === "ws");
    svg.push(`<text x="16" y="${gy + 14}" font-weight="600">${escapeXml(scenario.title)}</text>`);
    let note = "";
    if (scenario.kind === "rtt") note = "bars: CPU per round trip";
    else if (scenario.kind === "idle") note = "bars: RSS per connection";
    else if (raw?.msgsPerSec !== undefined && ws?.msgsPerSec !== undefined)
      note = `TCP ceiling = ${fmtX(raw.msgsPerSec / ws.msgsPerSec)} ws`;
    if (note !== "") svg.push(`<text x="16" y="${gy + 30}" fill="#6b7280">${escapeXml(note)}</text>`);
    bars.forEach((client, i) => {
      const s = summaries.find((x) => x.scenario === scenario.id && x.client === client);
      if (s === undefined) return;
      const y = gy + i * (barH + 2);
      const v = value(s, scenario);
      if (v === undefined) {
        const why = s.na !== undefined ? "n/a" : "failed";
        svg.push(`<text x="${left + 4}" y="${y + barH - 2}" fill="#6b7280">${why}</text>`);
        return;
      }
      const w = Math.max(1, x(v) - left);
      svg.push(
        `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${COLORS[client]}"/>`,
      );
      if (v > max) svg.push(`<text x="${left + w - 10}" y="${y + barH - 2}" fill="#ffffff">»</text>`);
      svg.push(
        `<text x="${left + plot + 8}" y="${y + barH - 2}" fill="#111827">${escapeXml(barLabel(s, scenario, v))}</text>`,
      );
    });
  });
  svg.push("</svg>");
  return `${svg.join("\n")}\n`;
}

function barLabel(s: Summary, scenario: Scenario, v: number): string {
  const head = `${v.toFixed(2)}× ·`;
  if (scenario.kind === "rtt") {
    return `${head} ${num(s.cpuUsPerMsg)} µs CPU/RT · p50 ${num(s.p50Us)} µs · p99 ${num(s.p99Us)} µs`;
  }
  if (scenario.kind === "idle") return `${head} ${num(s.rssPerConnKiB)} KiB RSS/conn`;
  const rate = scenario.size >= 64 * 1024 ? `${num(s.mibPerSec)} MiB/s` : `${num(s.msgsPerSec)} msg/s`;
  const ceiling = s.ofCeiling === undefined ? "" : ` · ${fmtPct(s.ofCeiling)} of TCP`;
  return `${head} ${rate} · ${num(s.cpuUsPerMsg)} µs CPU/msg${ceiling}`;
}
