const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  "\u00b5s": 1e-3, // micro sign, as Go accepts
  "\u03bcs": 1e-3, // Greek mu, as Go accepts
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Node's timers hold at most 2^31-1 ms (~24.8 days); a longer delay silently becomes 1 ms. */
export const MAX_DURATION_MS = 2 ** 31 - 1;

const PART = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/;

/** Milliseconds of a number or Go duration string, with no upper bound; undefined when invalid. */
function parseUnbounded(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string") return undefined;
  let rest = value.startsWith("+") ? value.slice(1) : value;
  if (rest === "0") return 0;
  if (rest === "") return undefined;
  let total = 0;
  while (rest !== "") {
    const match = PART.exec(rest);
    if (match === null) return undefined;
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    rest = rest.slice(match[0].length);
  }
  return Number.isFinite(total) ? total : undefined;
}

/**
 * Parses a duration given as milliseconds (a finite number ≥ 0) or as a Go duration string
 * ("300ms", "1.5s", "1m30s"; a bare "0" is allowed, as in Go). Returns milliseconds, or
 * undefined when the input is not a valid non-negative duration a timer can hold (at most
 * 2^31-1 ms, about 24.8 days).
 */
export function parseDuration(value: unknown): number | undefined {
  const ms = parseUnbounded(value);
  return ms !== undefined && ms <= MAX_DURATION_MS ? ms : undefined;
}

/**
 * Why `value` is not a duration `parseDuration` accepts, in words for an INVALID message: too
 * long (saying the maximum), negative, or not a duration at all.
 */
export function durationProblem(value: unknown): string {
  const shown = typeof value === "string" ? JSON.stringify(value) : String(value);
  const ms = parseUnbounded(value);
  if (ms !== undefined && ms > MAX_DURATION_MS) {
    return `${shown} is longer than the maximum, ${MAX_DURATION_MS} ms ("596h31m23.647s", about 24.8 days, the longest a Node timer holds)`;
  }
  if (typeof value === "number" && Number.isFinite(value) && value < 0) {
    return `expected a duration of 0 or more, got ${shown}`;
  }
  if (typeof value === "string" && value.startsWith("-")) {
    return `expected a duration of 0 or more, got ${shown}`;
  }
  return `expected milliseconds or a duration such as "5s" or "1m30s", got ${typeof value === "string" || typeof value === "number" ? shown : typeof value}`;
}

/** Formats milliseconds for messages: "1.5s", "250ms". */
export function formatDuration(ms: number): string {
  return ms >= 1000 && ms % 100 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
