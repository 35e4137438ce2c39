import t from "tap";
import { resolveReconnectOptions } from "../../src/client/reconnect.js";

t.test("reconnect options are read from own properties only", async (t) => {
  const clean = resolveReconnectOptions({});
  const proto = Object.prototype as Record<string, unknown>;
  const pollution = {
    min_delay: 1,
    max_delay: 2,
    factor: 1.5,
    jitter: false,
    max_attempts: 1,
    signal: AbortSignal.abort(),
  };
  for (const [key, value] of Object.entries(pollution)) proto[key] = value;
  try {
    const resolved = resolveReconnectOptions({});
    t.same({ ...resolved }, { ...clean }, "a polluted Object.prototype changes nothing");
    t.equal(resolved.maxAttempts, Number.POSITIVE_INFINITY);
  } finally {
    for (const key of Object.keys(pollution)) delete proto[key];
  }
});

t.test("an unknown reconnect option suggests the one meant", async (t) => {
  t.throws(() => resolveReconnectOptions({ maxAttempts: 3 }), {
    id: "INVALID_OPTION",
    message: /did you mean "max_attempts"/,
  });
});
