import t from "tap";
import { parseDuration } from "../../src/options/duration.js";

t.test("numbers are milliseconds", async (t) => {
  t.equal(parseDuration(0), 0);
  t.equal(parseDuration(250), 250);
  t.equal(parseDuration(1.5), 1.5);
  t.equal(parseDuration(-1), undefined);
  t.equal(parseDuration(Number.NaN), undefined);
  t.equal(parseDuration(Number.POSITIVE_INFINITY), undefined);
});

t.test("Go duration strings are parsed as Go does", async (t) => {
  const table: [string, number][] = [
    ["0", 0],
    ["0s", 0],
    ["300ms", 300],
    ["5s", 5000],
    ["1m", 60_000],
    ["1m30s", 90_000],
    ["1.5s", 1500],
    [".5s", 500],
    ["1.s", 1000],
    ["2h45m", 2 * 3_600_000 + 45 * 60_000],
    ["1h0m0.5s", 3_600_500],
    ["1500us", 1.5],
    ["1500µs", 1.5],
    ["1500μs", 1.5],
    ["2000000ns", 2],
    ["+5s", 5000],
  ];
  for (const [input, ms] of table) t.equal(parseDuration(input), ms, input);
});

t.test("malformed durations are refused", async (t) => {
  for (const input of [
    "",
    "5",
    "s",
    "5 s",
    "-5s",
    "5sec",
    "1d",
    "5s ",
    " 5s",
    "1..5s",
    "ms",
    "5S",
    "1e3ms",
    "--1s",
  ]) {
    t.equal(parseDuration(input), undefined, JSON.stringify(input));
  }
  for (const input of [null, undefined, {}, [], true])
    t.equal(parseDuration(input), undefined, String(input));
});

t.test("durations longer than a Node timer can hold are refused, not turned into 1 ms", async (t) => {
  t.equal(parseDuration(2 ** 31 - 1), 2 ** 31 - 1);
  t.equal(parseDuration(2 ** 31), undefined);
  t.equal(parseDuration("596h"), 596 * 3_600_000);
  t.equal(parseDuration("600h"), undefined);
  t.equal(parseDuration(`${"9".repeat(400)}h`), undefined);
});
