import { inspect } from "node:util";
import t from "tap";
import {
  backoffCeiling,
  closeAction,
  DEFAULT_MAX_DELAY_MS,
  DEFAULT_MIN_DELAY_MS,
  type ReconnectOptions,
  reconnect,
  resolveReconnectOptions,
  retryDelay,
  STABLE_AFTER_MS,
  tryAgainLaterDelay,
} from "../../src/client/reconnect.js";
import * as websocket from "../../src/index.js";

const fixed = (value: number) => () => value;

t.test(
  "the defaults: 500 ms to 30 s, factor 2, full jitter, unlimited attempts, stayed up after 10 s",
  async (t) => {
    const c = resolveReconnectOptions(undefined);
    t.same(c, {
      minDelay: 500,
      maxDelay: 30_000,
      factor: 2,
      jitter: true,
      maxAttempts: Number.POSITIVE_INFINITY,
      signal: undefined,
      stableAfter: 10_000,
    });
    t.equal(DEFAULT_MIN_DELAY_MS, 500);
    t.equal(DEFAULT_MAX_DELAY_MS, 30_000);
    t.equal(STABLE_AFTER_MS, 10_000);
    t.same(resolveReconnectOptions(null), c, "null is the same as no options");
    t.same(resolveReconnectOptions({}), c);
  },
);

t.test("durations are milliseconds or Go duration strings", async (t) => {
  const c = resolveReconnectOptions({ min_delay: "250ms", max_delay: "1m30s" });
  t.equal(c.minDelay, 250);
  t.equal(c.maxDelay, 90_000);
  t.equal(resolveReconnectOptions({ min_delay: 1.5, max_delay: 2 }).minDelay, 1.5);
  t.equal(
    resolveReconnectOptions({ min_delay: "1m" }).maxDelay,
    60_000,
    "a min_delay above the default max_delay raises the default max_delay to it",
  );
});

t.test('jitter accepts true, false, "full" and "none"', async (t) => {
  t.equal(resolveReconnectOptions({ jitter: true }).jitter, true);
  t.equal(resolveReconnectOptions({ jitter: "full" }).jitter, true);
  t.equal(resolveReconnectOptions({ jitter: false }).jitter, false);
  t.equal(resolveReconnectOptions({ jitter: "none" }).jitter, false);
});

t.test("the backoff ceiling grows by factor from min_delay and stops at max_delay", async (t) => {
  const c = resolveReconnectOptions({});
  const ceilings = Array.from({ length: 10 }, (_, step) => backoffCeiling(step, c));
  t.same(ceilings, [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000]);
  t.equal(backoffCeiling(100_000, c), 30_000, "a huge step neither overflows nor exceeds max_delay");
  const linear = resolveReconnectOptions({ min_delay: 100, max_delay: 1000, factor: 1 });
  t.same(
    [0, 1, 5, 50].map((s) => backoffCeiling(s, linear)),
    [100, 100, 100, 100],
    "factor 1 keeps a constant delay",
  );
  const odd = resolveReconnectOptions({ min_delay: 10, max_delay: 100, factor: 1.5 });
  t.same(
    [0, 1, 2, 3, 4, 5, 6, 7].map((s) => backoffCeiling(s, odd)),
    [10, 15, 22.5, 33.75, 50.625, 75.9375, 100, 100],
  );
});

t.test(
  "full jitter draws uniformly between 0 and the ceiling; without jitter the delay is the ceiling",
  async (t) => {
    const c = resolveReconnectOptions({ min_delay: 100, max_delay: 1000 });
    t.same(
      [0, 1, 2, 3, 4].map((s) => retryDelay(s, c, fixed(0.5))),
      [50, 100, 200, 400, 500],
    );
    t.equal(retryDelay(3, c, fixed(0)), 0, "full jitter may redial at once");
    t.ok(retryDelay(3, c, fixed(0.999_999)) < 800, "and never reaches the ceiling");
    const randoms = [0.1, 0.9, 0.25];
    const draws = randoms.map((r, step) => retryDelay(step, c, fixed(r)));
    t.same(draws, [10, 180, 100]);
    const none = resolveReconnectOptions({ min_delay: 100, max_delay: 1000, jitter: false });
    let calls = 0;
    const counting = (): number => {
      calls++;
      return 0.5;
    };
    t.same(
      [0, 1, 2, 3, 4, 5].map((s) => retryDelay(s, none, counting)),
      [100, 200, 400, 800, 1000, 1000],
    );
    t.equal(calls, 0, "no random draw without jitter");
  },
);

t.test("1013 try-again-later waits in the upper half of a ceiling of at least 10 × min_delay", async (t) => {
  const defaults = resolveReconnectOptions({});
  t.equal(tryAgainLaterDelay(0, defaults, fixed(0)), 2500, "by default never less than 2.5 s");
  t.equal(tryAgainLaterDelay(0, defaults, fixed(0.5)), 3750);
  t.ok(tryAgainLaterDelay(0, defaults, fixed(0.999_999)) < 5000, "and less than 5 s");
  t.equal(
    tryAgainLaterDelay(6, defaults, fixed(0)),
    15_000,
    "once the backoff passes 10 × min_delay, its own ceiling counts",
  );
  t.equal(tryAgainLaterDelay(20, defaults, fixed(0.5)), 22_500, "and max_delay still bounds it");
  const tight = resolveReconnectOptions({ min_delay: 10, max_delay: 30 });
  t.equal(tryAgainLaterDelay(0, tight, fixed(0)), 15, "max_delay bounds the raised ceiling");
  t.equal(tryAgainLaterDelay(0, tight, fixed(0.5)), 22.5);
  const none = resolveReconnectOptions({ min_delay: 10, max_delay: 1000, jitter: "none" });
  t.equal(tryAgainLaterDelay(0, none, fixed(0.5)), 100, "without jitter: the raised ceiling");
  t.equal(tryAgainLaterDelay(5, none, fixed(0.5)), 320, "or the backoff's, when higher");
  for (let step = 0; step < 12; step++) {
    for (const r of [0, 0.3, 0.7, 0.999]) {
      t.ok(
        tryAgainLaterDelay(step, defaults, fixed(r)) >= retryDelay(step, defaults, fixed(r)) / 2,
        `step ${step}, random ${r}: 1013 never waits less than half an ordinary draw`,
      );
    }
  }
});

t.test("a connection stayed up after max(min_delay, min(max_delay, 10 s))", async (t) => {
  t.equal(resolveReconnectOptions({}).stableAfter, 10_000);
  t.equal(resolveReconnectOptions({ min_delay: 10, max_delay: 50 }).stableAfter, 50);
  t.equal(resolveReconnectOptions({ min_delay: "20s", max_delay: "1m" }).stableAfter, 20_000);
  t.equal(resolveReconnectOptions({ min_delay: "1s", max_delay: "5m" }).stableAfter, 10_000);
});

t.test(
  "close codes: 1000 and 1005 end, server-side trouble reconnects, refusals stop with an error",
  async (t) => {
    const table: [number, string][] = [
      [1000, "return"],
      [1005, "return"],
      [1001, "reconnect"],
      [1006, "reconnect"],
      [1011, "reconnect"],
      [1012, "reconnect"],
      [1013, "reconnect"],
      [1014, "reconnect"],
      [1002, "throw"],
      [1003, "throw"],
      [1007, "throw"],
      [1008, "throw"],
      [1009, "throw"],
      [1010, "throw"],
      [1015, "throw"],
      [1016, "throw"],
      [2999, "throw"],
      [3000, "throw"],
      [4000, "throw"],
      [4999, "throw"],
    ];
    for (const [code, action] of table) t.equal(closeAction(code), action, `${code} → ${action}`);
  },
);

t.test("every bad reconnect option throws INVALID at once, naming the option", async (t) => {
  const bad: [unknown, RegExp][] = [
    [42, /must be an object/],
    ["fast", /must be an object/],
    [[], /must be an object/],
    [{ min: 1 }, /unknown reconnect option "min"/],
    [{ min_delay: 0 }, /min_delay: must be more than 0/],
    [{ min_delay: "0s" }, /min_delay: must be more than 0/],
    [{ min_delay: -5 }, /min_delay: expected milliseconds/],
    [{ min_delay: "5 s" }, /min_delay: expected milliseconds/],
    [{ min_delay: Number.NaN }, /min_delay/],
    [{ min_delay: Number.POSITIVE_INFINITY }, /min_delay/],
    [{ max_delay: "soon" }, /max_delay: expected milliseconds/],
    [{ min_delay: 100, max_delay: 50 }, /max_delay: 50ms is less than min_delay 100ms/],
    [{ factor: 0.5 }, /factor: expected a finite number ≥ 1/],
    [{ factor: 0 }, /factor/],
    [{ factor: Number.NaN }, /factor/],
    [{ factor: Number.POSITIVE_INFINITY }, /factor/],
    [{ factor: "2" }, /factor/],
    [{ jitter: "equal" }, /jitter: expected true, false, "full" or "none"/],
    [{ jitter: 1 }, /jitter/],
    [{ max_attempts: 0 }, /max_attempts: expected an integer ≥ 1 or Infinity/],
    [{ max_attempts: -1 }, /max_attempts/],
    [{ max_attempts: 2.5 }, /max_attempts/],
    [{ max_attempts: Number.NaN }, /max_attempts/],
    [{ max_attempts: "3" }, /max_attempts/],
    [{ signal: {} }, /signal: expected an AbortSignal/],
    [{ signal: new AbortController() }, /signal/],
  ];
  for (const [options, message] of bad) {
    t.throws(
      () => reconnect("ws://127.0.0.1:1", {}, options as ReconnectOptions),
      { name: "WebSocketError", kind: "INVALID", retryable: false, message },
      `${inspect(options)} is refused`,
    );
  }
  t.doesNotThrow(() =>
    reconnect("ws://127.0.0.1:1", undefined, {
      min_delay: "10ms",
      max_delay: "1s",
      factor: 1,
      jitter: "none",
      max_attempts: Number.POSITIVE_INFINITY,
      signal: new AbortController().signal,
    }),
  );
  t.equal(websocket.reconnect, reconnect, "reconnect is exported from the package");
});
