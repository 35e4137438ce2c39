// The dial's deadline runs on the monotonic clock: a wall clock stepped during a dial (an NTP
// step, a user setting the time) neither lengthens nor ends it.
import t from "tap";
import { DialDeadline } from "../../src/client/deadline.js";

t.test("the time left does not follow the wall clock", async (t) => {
  const wallClock = Date.now;
  t.teardown(() => {
    Date.now = wallClock;
  });
  const deadline = new DialDeadline(new URL("ws://127.0.0.1/"), 5000, undefined);
  t.teardown(() => deadline.dispose());
  Date.now = () => wallClock() - 3_600_000;
  const back = deadline.remaining();
  t.ok(back > 4000 && back <= 5000, `set back an hour: ${back} ms left, not an hour more`);
  Date.now = () => wallClock() + 3_600_000;
  const ahead = deadline.remaining();
  t.ok(ahead > 4000 && ahead <= 5000, `set ahead an hour: ${ahead} ms left, not none`);
});
