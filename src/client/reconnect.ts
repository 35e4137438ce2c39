import { errors, invalid, WebSocketError } from "../errors/errors.js";
import { formatDuration, parseDuration } from "../options/duration.js";
import type { ConnectOptions, Duration } from "../options/options.js";
import { ownEntries, own as ownValue } from "../options/own.js";
import { unknownField } from "../options/suggest.js";
import type { Client, CloseInfo } from "./client.js";
import { connect } from "./connect.js";

/**
 * The options of `reconnect`, its third argument; every field is optional. Durations are
 * milliseconds or Go duration strings.
 */
export interface ReconnectOptions {
  /** The ceiling of the first retry's delay, from which the backoff grows. More than 0. Default 500 ms. */
  readonly min_delay?: Duration;
  /** The largest delay between two dials; at least `min_delay`. Default 30 s (or `min_delay`, if larger). */
  readonly max_delay?: Duration;
  /** How much the delay ceiling grows with each consecutive retry: a finite number ≥ 1. Default 2. */
  readonly factor?: number;
  /**
   * `true` or `"full"`: each delay is drawn uniformly between 0 and its ceiling ("full jitter"), so
   * that clients dropped together do not redial together. `false` or `"none"`: each delay is its
   * ceiling. Default `"full"`.
   */
  readonly jitter?: boolean | "full" | "none";
  /** How many dials in a row may fail before the last failure is thrown: an integer ≥ 1, or `Infinity`. Default `Infinity`. */
  readonly max_attempts?: number;
  /**
   * Stops reconnecting: a dial or a wait in progress ends at once, an open client is closed with
   * 1001, and the iteration throws `CANCELED`. The connect option `signal`, if given, does the
   * same. Default none.
   */
  readonly signal?: AbortSignal;
}

/** Default `min_delay`. */
export const DEFAULT_MIN_DELAY_MS = 500;
/** Default `max_delay`. */
export const DEFAULT_MAX_DELAY_MS = 30_000;
/** Default `factor`. */
export const DEFAULT_FACTOR = 2;
/**
 * A connection that stays open this long (or `max_delay`, if shorter, but never less than
 * `min_delay`) "stayed up": the backoff starts again from `min_delay` after it closes.
 */
export const STABLE_AFTER_MS = 10_000;
/** After a close with 1013 (try again later) the delay ceiling is at least this many `min_delay`s. */
export const TRY_AGAIN_LATER_FACTOR = 10;

/** Reconnect options checked and defaulted; durations in milliseconds. */
export interface ReconnectConfig {
  readonly minDelay: number;
  readonly maxDelay: number;
  readonly factor: number;
  readonly jitter: boolean;
  readonly maxAttempts: number;
  readonly signal: AbortSignal | undefined;
  /** How long a connection must stay open for the backoff to be reset when it closes. */
  readonly stableAfter: number;
}

const KNOWN = new Set(["min_delay", "max_delay", "factor", "jitter", "max_attempts", "signal"]);

function delayOption(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = parseDuration(value);
  if (ms === undefined) {
    throw invalid(
      `reconnect option ${name}: expected milliseconds or a duration such as "500ms", got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

/** Checks every reconnect option and fills in defaults; throws an INVALID WebSocketError naming the culprit. */
export function resolveReconnectOptions(options: unknown): ReconnectConfig {
  if (options === undefined || options === null) options = {};
  if (typeof options !== "object" || Array.isArray(options)) {
    throw invalid("reconnect options must be an object");
  }
  // Own properties only, each read once: Object.prototype pollution cannot set max_attempts.
  const o = ownEntries(options as object);
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key)) throw invalid(unknownField("reconnect option", key, KNOWN), "INVALID_OPTION");
  }
  const minDelay = delayOption("min_delay", o.min_delay, DEFAULT_MIN_DELAY_MS);
  // A zero floor with a zero ceiling would redial a refusing server in a tight loop.
  if (minDelay <= 0) throw invalid("reconnect option min_delay: must be more than 0");
  const maxDelay = delayOption("max_delay", o.max_delay, Math.max(DEFAULT_MAX_DELAY_MS, minDelay));
  if (maxDelay < minDelay) {
    throw invalid(
      `reconnect option max_delay: ${formatDuration(maxDelay)} is less than min_delay ${formatDuration(minDelay)}`,
    );
  }
  const factor = o.factor ?? DEFAULT_FACTOR;
  if (typeof factor !== "number" || !Number.isFinite(factor) || factor < 1) {
    throw invalid(`reconnect option factor: expected a finite number ≥ 1, got ${String(factor)}`);
  }
  const jitter = o.jitter ?? true;
  if (jitter !== true && jitter !== false && jitter !== "full" && jitter !== "none") {
    throw invalid(
      `reconnect option jitter: expected true, false, "full" or "none", got ${JSON.stringify(jitter)}`,
    );
  }
  const maxAttempts = o.max_attempts ?? Number.POSITIVE_INFINITY;
  if (
    typeof maxAttempts !== "number" ||
    !(maxAttempts === Number.POSITIVE_INFINITY || (Number.isInteger(maxAttempts) && maxAttempts >= 1))
  ) {
    throw invalid(
      `reconnect option max_attempts: expected an integer ≥ 1 or Infinity, got ${String(maxAttempts)}`,
    );
  }
  const signal = o.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw invalid("reconnect option signal: expected an AbortSignal");
  }
  return {
    minDelay,
    maxDelay,
    factor,
    jitter: jitter === true || jitter === "full",
    maxAttempts,
    signal,
    stableAfter: Math.max(minDelay, Math.min(maxDelay, STABLE_AFTER_MS)),
  };
}

type DelayConfig = Pick<ReconnectConfig, "minDelay" | "maxDelay" | "factor" | "jitter">;

/** The ceiling of the delay before retry number `step` (0 for the first of a run): min(max_delay, min_delay × factor^step). */
export function backoffCeiling(step: number, c: DelayConfig): number {
  return Math.min(c.maxDelay, c.minDelay * c.factor ** step);
}

/** The delay before retry number `step`: uniform in [0, ceiling) with full jitter, the ceiling without. `random` is in [0, 1). */
export function retryDelay(step: number, c: DelayConfig, random: () => number): number {
  const ceiling = backoffCeiling(step, c);
  return c.jitter ? random() * ceiling : ceiling;
}

/**
 * The delay after the server closed with 1013 (try again later): the ceiling is raised to at
 * least TRY_AGAIN_LATER_FACTOR × min_delay (within max_delay), and the jitter draws from its upper
 * half, [ceiling/2, ceiling), so an overloaded server never sees the near-zero waits full jitter
 * can draw. Without jitter, the ceiling.
 */
export function tryAgainLaterDelay(step: number, c: DelayConfig, random: () => number): number {
  const ceiling = Math.min(
    c.maxDelay,
    Math.max(backoffCeiling(step, c), TRY_AGAIN_LATER_FACTOR * c.minDelay),
  );
  return c.jitter ? ceiling / 2 + random() * (ceiling / 2) : ceiling;
}

/** What the iteration does after a connection closed with a code: stop quietly, dial again, or stop with an error. */
export type CloseAction = "return" | "reconnect" | "throw";

/** Codes after which the server is expected back: going away, lost, server error, restart, try again later, bad gateway. */
const RECONNECT_CODES: ReadonlySet<number> = new Set([1001, 1006, 1011, 1012, 1013, 1014]);

/**
 * How the iteration answers a close code. 1000 (normal) and 1005 (a Close without a code, which
 * many servers send for a normal close) end it: the server finished on purpose. The codes of
 * RECONNECT_CODES describe a server that is going away, failing or overloaded, and expected back.
 * Every other code (1002, 1003, 1007, 1008, 1009, 1010, 3000–4999 and the unassigned ones) says
 * the server refused what this client sends or who it is, or means something only the application
 * knows; dialling again with the same options would most likely earn the same close, so the
 * iteration stops with an error carrying the code.
 */
export function closeAction(code: number): CloseAction {
  if (code === 1000 || code === 1005) return "return";
  return RECONNECT_CODES.has(code) ? "reconnect" : "throw";
}

const CLOSE_NAMES: Readonly<Record<number, string>> = {
  1000: "normal closure",
  1001: "going away",
  1002: "protocol error",
  1003: "unsupported data",
  1005: "no status",
  1006: "abnormal closure",
  1007: "invalid payload",
  1008: "policy violation",
  1009: "message too big",
  1010: "mandatory extension",
  1011: "internal error",
  1012: "service restart",
  1013: "try again later",
  1014: "bad gateway",
};

function closedError(info: CloseInfo): WebSocketError {
  const name = CLOSE_NAMES[info.code];
  const described = name === undefined ? `${info.code}` : `${info.code} (${name})`;
  const reason = info.reason === "" ? "" : `: ${info.reason}`;
  return new WebSocketError(
    "INTERNAL",
    `the connection closed with ${described}${reason}; not reconnecting`,
    {
      code: info.code,
      reason: info.reason,
      ...(info.error === undefined ? {} : { cause: info.error }),
    },
  );
}

function canceled(signal: AbortSignal): WebSocketError {
  return new WebSocketError("CANCELED", "reconnect was aborted", {
    ...(signal.reason === undefined ? {} : { cause: signal.reason }),
  });
}

const noop = (): void => {};

/** Waits `ms`, or rejects with CANCELED as soon as `signal` aborts. The timer keeps the process alive. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(canceled(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(canceled(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * @internal The randomness and time `reconnect` uses, replaceable by tests (through
 * `reconnectWith`) so that delays are deterministic. Not part of the public API.
 */
export interface ReconnectEnv {
  /** A number in [0, 1): the jitter. Default `Math.random`. */
  readonly random: () => number;
  /** Waits `ms`; should reject (or at least resolve) promptly when `signal` aborts. Default: a timer. */
  readonly sleep: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  /** A monotonic clock in milliseconds, for how long a connection stayed up. Default `performance.now`. */
  readonly now: () => number;
  /** The wall clock in epoch milliseconds, for a Retry-After date. Default `Date.now`. */
  readonly wallClock: () => number;
}

/** @internal */
export const defaultReconnectEnv: ReconnectEnv = Object.freeze({
  random: Math.random,
  sleep,
  now: () => performance.now(),
  wallClock: () => Date.now(),
});

/**
 * The wait a refused handshake asks for: the Retry-After of a 429 or 503 (RFC 9110 §10.2.3:
 * delay-seconds or an HTTP date), bounded by `max_delay`; 0 when there is none.
 */
export function retryAfterOf(error: WebSocketError, now: number, maxDelay: number): number {
  if (error.id !== "HANDSHAKE_STATUS" || (error.status !== 429 && error.status !== 503)) return 0;
  const value = error.response?.headers["retry-after"]?.[0]?.trim();
  if (value === undefined) return 0;
  let ms: number;
  if (/^\d+$/.test(value)) ms = Number(value) * 1000;
  else {
    const date = Date.parse(value);
    if (Number.isNaN(date)) return 0;
    ms = date - now;
  }
  return Math.max(0, Math.min(maxDelay, ms));
}

/**
 * One signal for the whole iteration, aborted by whichever of the reconnect option `signal` and
 * the connect option `signal` aborts first; `release` removes its listeners from theirs. Handed
 * to every `connect` as its signal, which cancels a dial in progress and closes an open client
 * with 1001 (connect removes its own listeners once a connection ends).
 */
function linkSignals(signals: readonly (AbortSignal | undefined)[]): {
  signal: AbortSignal | undefined;
  release(): void;
} {
  const given = signals.filter((s): s is AbortSignal => s !== undefined);
  if (given.length === 0) return { signal: undefined, release: noop };
  if (given.length === 1) return { signal: given[0], release: noop };
  const link = new AbortController();
  const listeners = given.map((source) => {
    const onAbort = (): void => link.abort(source.reason);
    if (source.aborted) onAbort();
    else source.addEventListener("abort", onAbort, { once: true });
    return (): void => source.removeEventListener("abort", onAbort);
  });
  return {
    signal: link.signal,
    release: () => {
      for (const remove of listeners) remove();
    },
  };
}

/**
 * Keeps a connection to `url` open: dials with `connect(url, options)`, yields the client, waits
 * until it closes, and dials again after a delay that grows exponentially with full jitter
 * (see `ReconnectOptions`). Used with `for await`; leaving the loop closes the current client.
 *
 * - The first dial is immediate. A failed dial that is retryable is retried after
 *   `retryDelay(step)`, step counting the retries since the last connection that stayed up; a
 *   handshake refused with 429 or 503 and a Retry-After header waits at least that long (at
 *   most `max_delay`).
 * - A connection "stayed up" when it was open for max(min_delay, min(max_delay, 10 s)); after
 *   it closes, the backoff starts again from min_delay.
 * - It stops by throwing: a non-retryable error (INVALID options or URL, PERMISSION_DENIED,
 *   a handshake refused with a status other than 5xx/429); CANCELED when the reconnect option
 *   `signal` (or the connect option `signal`) aborts; the last error after `max_attempts` dials in
 *   a row failed; an error carrying the code after a close that `closeAction` does not retry. It
 *   returns after a close with 1000 or 1005.
 *
 * Throws INVALID at once for a bad reconnect option; a bad URL or connect option rejects the
 * first iteration with INVALID, before any socket is opened.
 */
export function reconnect(
  url: string | URL,
  options?: ConnectOptions,
  reconnectOptions?: ReconnectOptions,
): AsyncGenerator<Client, void, undefined> {
  return reconnectWith(url, options, reconnectOptions, defaultReconnectEnv);
}

/** @internal `reconnect` with its randomness and time replaced, for tests. */
export function reconnectWith(
  url: string | URL,
  options: ConnectOptions | undefined,
  reconnectOptions: ReconnectOptions | undefined,
  env: Partial<ReconnectEnv>,
): AsyncGenerator<Client, void, undefined> {
  const config = resolveReconnectOptions(reconnectOptions);
  return run(url, options, config, { ...defaultReconnectEnv, ...env });
}

async function* run(
  url: string | URL,
  options: ConnectOptions | undefined,
  c: ReconnectConfig,
  env: ReconnectEnv,
): AsyncGenerator<Client, void, undefined> {
  // Options that are not an object are passed on untouched, for connect to refuse with INVALID.
  const isObject = typeof options === "object" && options !== null && !Array.isArray(options);
  const given = isObject ? ownValue(options as object, "signal") : undefined;
  const own = given instanceof AbortSignal ? given : undefined;
  const link = linkSignals([c.signal, own]);
  const signal = link.signal;
  const dialOptions = signal === undefined || !isObject ? options : { ...options, signal };
  /** Dials in a row that failed, for max_attempts. */
  let failures = 0;
  /** Retries since the last connection that stayed up: the backoff exponent. */
  let step = 0;
  let wait: number | undefined;
  let current: Client | undefined;
  try {
    while (true) {
      if (wait !== undefined) await env.sleep(wait, signal);
      if (signal?.aborted) throw canceled(signal);
      let client: Client;
      try {
        client = await connect(url, dialOptions);
      } catch (error) {
        if (signal?.aborted) throw errors.is(error, "CANCELED") ? error : canceled(signal);
        if (!(error instanceof WebSocketError) || !error.retryable) throw error;
        failures++;
        if (failures >= c.maxAttempts) throw error;
        wait = Math.max(retryDelay(step++, c, env.random), retryAfterOf(error, env.wallClock(), c.maxDelay));
        continue;
      }
      failures = 0;
      current = client;
      const openedAt = env.now();
      let closedAt = openedAt;
      const ended = client.closed.then((info) => {
        closedAt = env.now();
        return info;
      });
      // An abort while the consumer holds the client closes it with 1001 (connect was given the
      // signal); the next iteration then throws CANCELED.
      yield client;
      const info = await ended;
      current = undefined;
      if (signal?.aborted) throw canceled(signal);
      if (closedAt - openedAt >= c.stableAfter) step = 0;
      const action = closeAction(info.code);
      if (action === "return") return;
      if (action === "throw") throw closedError(info);
      wait =
        info.code === 1013 ? tryAgainLaterDelay(step++, c, env.random) : retryDelay(step++, c, env.random);
    }
  } finally {
    link.release();
    // The consumer left the loop (or an error ended it) while holding a client: close it.
    if (current !== undefined) await current.close().catch(noop);
  }
}
