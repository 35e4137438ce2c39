/**
 * Summarises the fuzzingserver's index.json for one agent. Pure: takes the parsed JSON, returns
 * data and text, so that it can be unit-tested.
 *
 * index.json maps agent → case id → result, where a result has `behavior` and `behaviorClose`
 * (OK, NON-STRICT, INFORMATIONAL, UNIMPLEMENTED, FAILED; for the close also WRONG CODE, UNCLEAN
 * and FAILED BY CLIENT), `duration` in ms, `remoteCloseCode` and `reportfile`.
 */

/** One case's result, as index.json gives it. */
export interface CaseResult {
  readonly id: string;
  readonly behavior: string;
  readonly behaviorClose: string;
  readonly duration: number | undefined;
  readonly remoteCloseCode: number | null | undefined;
  readonly reportfile: string | undefined;
}

/** The results of one case family: the cases whose id starts with the same number. */
export interface FamilySummary {
  readonly family: string;
  /** The testsuite's name for the family, or "" when unknown. */
  readonly name: string;
  readonly total: number;
  /** Cases per behaviour, in BEHAVIOURS order, then any other value alphabetically. */
  readonly behaviors: ReadonlyMap<string, number>;
}

export interface Summary {
  readonly agent: string;
  /** Every case of the agent (or of those asked for), sorted by id. */
  readonly cases: readonly CaseResult[];
  readonly total: number;
  /** Cases per behaviour; the five usual ones always present, in BEHAVIOURS order. */
  readonly behaviors: ReadonlyMap<string, number>;
  /** Cases per close behaviour (only values that occur). */
  readonly closeBehaviors: ReadonlyMap<string, number>;
  /** Sorted by family number. */
  readonly families: readonly FamilySummary[];
  /** Cases whose behaviour or close behaviour is not OK, INFORMATIONAL or UNIMPLEMENTED. */
  readonly notable: readonly CaseResult[];
  /** Ids of the cases whose behaviour or close behaviour is FAILED. */
  readonly failed: readonly string[];
  /** Ids asked for (options.cases) that index.json has no result for. */
  readonly missing: readonly string[];
  /** No case FAILED. */
  readonly ok: boolean;
  /** The summary as text, for the console. */
  readonly text: string;
}

export interface SummaryOptions {
  /** Only summarise these case ids (e.g. the cases this run executed); others are ignored. */
  readonly cases?: readonly string[];
}

/** The behaviours the testsuite gives a case, best first. */
export const BEHAVIOURS = ["OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"] as const;

/** Values that need no attention. */
const ACCEPTABLE = new Set(["OK", "INFORMATIONAL", "UNIMPLEMENTED"]);

/** The testsuite's names for its case families. */
const FAMILY_NAMES: Readonly<Record<string, string>> = {
  "1": "Framing",
  "2": "Pings/Pongs",
  "3": "Reserved Bits",
  "4": "Opcodes",
  "5": "Fragmentation",
  "6": "UTF-8 Handling",
  "7": "Close Handling",
  "9": "Limits/Performance",
  "10": "Misc",
  "12": "WebSocket Compression (different payloads)",
  "13": "WebSocket Compression (different parameters)",
};

/**
 * Summarises the results of `agent` in a parsed index.json. Throws an `Error` when the object does
 * not have the shape of an index.json or holds no results for the agent.
 */
export function summarize(index: unknown, agent: string, options: SummaryOptions = {}): Summary {
  if (!isRecord(index)) throw new Error("index.json does not hold an object");
  const results = index[agent];
  if (!isRecord(results)) {
    const agents = Object.keys(index);
    throw new Error(
      `index.json has no results for agent "${agent}" (${agents.length === 0 ? "it has none" : `it has ${agents.map((a) => `"${a}"`).join(", ")}`})`,
    );
  }

  let ids = Object.keys(results);
  let missing: string[] = [];
  if (options.cases !== undefined) {
    const wanted = new Set(options.cases);
    ids = ids.filter((id) => wanted.has(id));
    missing = [...wanted].filter((id) => !Object.hasOwn(results, id)).sort(compareCaseIds);
  }
  const cases = ids.sort(compareCaseIds).map((id) => toCaseResult(id, results[id]));

  const behaviors = new Map<string, number>(BEHAVIOURS.map((b) => [b, 0]));
  const closeBehaviors = new Map<string, number>();
  const familyCases = new Map<string, CaseResult[]>();
  for (const result of cases) {
    increment(behaviors, result.behavior);
    increment(closeBehaviors, result.behaviorClose);
    const family = familyOf(result.id);
    const list = familyCases.get(family);
    if (list === undefined) familyCases.set(family, [result]);
    else list.push(result);
  }

  const families = [...familyCases.entries()]
    .sort(([a], [b]) => compareCaseIds(a, b))
    .map(([family, list]): FamilySummary => {
      const counts = new Map<string, number>();
      for (const result of list) increment(counts, result.behavior);
      return { family, name: FAMILY_NAMES[family] ?? "", total: list.length, behaviors: ordered(counts) };
    });

  const notable = cases.filter((c) => !ACCEPTABLE.has(c.behavior) || !ACCEPTABLE.has(c.behaviorClose));
  const failed = cases
    .filter((c) => c.behavior === "FAILED" || c.behaviorClose === "FAILED")
    .map((c) => c.id);

  const data = {
    agent,
    cases,
    total: cases.length,
    behaviors: ordered(behaviors),
    closeBehaviors: ordered(closeBehaviors),
    families,
    notable,
    failed,
    missing,
    ok: failed.length === 0,
  };
  return { ...data, text: formatSummary(data) };
}

/** Formats summary data as text (what `summarize` puts in `text`). */
export function formatSummary(summary: Omit<Summary, "text">): string {
  const lines: string[] = [];
  lines.push(`Autobahn|Testsuite results for agent "${summary.agent}": ${plural(summary.total, "case")}`);
  lines.push(`  behaviour:       ${formatCounts(summary.behaviors)}`);
  if (summary.closeBehaviors.size > 0)
    lines.push(`  close behaviour: ${formatCounts(summary.closeBehaviors)}`);

  if (summary.families.length > 0) {
    lines.push("", "By family:");
    const labels = summary.families.map((f) => `${f.family.padStart(3)}  ${f.name}`);
    const width = Math.max(...labels.map((label) => label.length));
    summary.families.forEach((family, i) => {
      lines.push(
        `${labels[i]!.padEnd(width)}  ${String(family.total).padStart(4)}  ${formatCounts(family.behaviors)}`,
      );
    });
  }

  if (summary.notable.length > 0) {
    lines.push("", "Not OK (behaviour / close behaviour):");
    const rows = summary.notable.map((c) => [
      c.id,
      `${c.behavior} / ${c.behaviorClose}`,
      c.remoteCloseCode === undefined ? "" : `remote close code ${c.remoteCloseCode ?? "none"}`,
      c.reportfile ?? "",
    ]);
    const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
    for (const row of rows) {
      lines.push(`  ${row.map((cell, col) => cell.padEnd(widths[col]!)).join("  ")}`.trimEnd());
    }
  }

  if (summary.missing.length > 0) {
    lines.push("", `No result in index.json for: ${summary.missing.join(", ")}`);
  }

  lines.push(
    "",
    summary.failed.length === 0
      ? "No case FAILED."
      : `${plural(summary.failed.length, "case")} FAILED: ${summary.failed.join(", ")}`,
  );
  return lines.join("\n");
}

/** Orders case ids (or families) numerically part by part: 1.1.2 < 1.1.10 < 2.1 < 10.1. */
export function compareCaseIds(a: string, b: string): number {
  const pa = a.split(".");
  const pb = b.split(".");
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const na = Number(pa[i]);
    const nb = Number(pb[i]);
    if (Number.isFinite(na) && Number.isFinite(nb)) {
      if (na !== nb) return na - nb;
    } else if (pa[i] !== pb[i]) {
      return pa[i]! < pb[i]! ? -1 : 1;
    }
  }
  return pa.length - pb.length;
}

function familyOf(id: string): string {
  return id.split(".")[0]!;
}

function toCaseResult(id: string, value: unknown): CaseResult {
  const entry = isRecord(value) ? value : {};
  const code = entry.remoteCloseCode;
  return {
    id,
    behavior: typeof entry.behavior === "string" ? entry.behavior : "UNKNOWN",
    behaviorClose: typeof entry.behaviorClose === "string" ? entry.behaviorClose : "UNKNOWN",
    duration: typeof entry.duration === "number" ? entry.duration : undefined,
    remoteCloseCode: typeof code === "number" || code === null ? code : undefined,
    reportfile: typeof entry.reportfile === "string" ? entry.reportfile : undefined,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** The counts with the usual behaviours first, in BEHAVIOURS order, then the rest alphabetically. */
function ordered(counts: ReadonlyMap<string, number>): Map<string, number> {
  const rank = (key: string): number => {
    const i = (BEHAVIOURS as readonly string[]).indexOf(key);
    return i < 0 ? BEHAVIOURS.length : i;
  };
  return new Map([...counts.entries()].sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0)));
}

function formatCounts(counts: ReadonlyMap<string, number>): string {
  return [...counts.entries()].map(([key, n]) => `${key} ${n}`).join(", ");
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
