import t from "tap";
import { resolveOptions } from "../../src/options/options.js";
import { INSECURE_TLS_WARNING } from "../../src/options/tls.js";

// In its own file: tap runs each file in a fresh process, and the warning is once per process.
t.test(
  "tls.rejectUnauthorized: false emits one process warning, with a code, once per process",
  async (t) => {
    const seen: Error[] = [];
    const onWarning = (warning: Error): void => {
      seen.push(warning);
    };
    process.on("warning", onWarning);
    t.teardown(() => {
      process.off("warning", onWarning);
    });
    resolveOptions({ tls: { rejectUnauthorized: true } });
    resolveOptions({ tls: {} });
    await new Promise((resolve) => setImmediate(resolve));
    t.equal(seen.length, 0, "nothing while certificates are checked");
    resolveOptions({ tls: { rejectUnauthorized: false } });
    resolveOptions({ tls: { rejectUnauthorized: false } });
    resolveOptions({ tls: { rejectUnauthorized: false } });
    await new Promise((resolve) => setImmediate(resolve));
    const ours = seen.filter((w) => (w as Error & { code?: string }).code === INSECURE_TLS_WARNING);
    t.equal(ours.length, 1, "one warning for three connections");
    t.equal(ours[0]?.name, "SecurityWarning");
    t.match(ours[0]?.message, /rejectUnauthorized/);
  },
);
