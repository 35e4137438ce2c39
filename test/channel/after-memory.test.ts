import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import t from "tap";

// 200,000 per-message receive timeouts: each abandoned `after` must be garbage at once, not a
// live timer for its whole duration (the old after() kept ~90 MiB of heap for 30 s here).
t.test("per-message timeouts with after() or a reset timer leave no heap behind after GC", async (t) => {
  const child = fileURLToPath(new URL("./after-memory.child.ts", import.meta.url));
  const module = fileURLToPath(new URL("../../src/channel/channel.ts", import.meta.url));
  const out = execFileSync(process.execPath, ["--expose-gc", "--import=tsx", child, module], {
    encoding: "utf8",
    timeout: 100_000,
  });
  const { after, timer } = JSON.parse(out) as { after: number; timer: number };
  const MiB = 1024 * 1024;
  t.comment(
    `heap growth after GC: after() ${(after / MiB).toFixed(2)} MiB, timer ${(timer / MiB).toFixed(2)} MiB`,
  );
  t.ok(after < 4 * MiB, `after(): ${(after / MiB).toFixed(2)} MiB kept (bound 4 MiB)`);
  t.ok(timer < 4 * MiB, `timer reset per message: ${(timer / MiB).toFixed(2)} MiB kept (bound 4 MiB)`);
});
