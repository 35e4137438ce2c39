import t from "tap";
import { caseMatcher, DEFAULT_AGENT, DEFAULT_URL, endpoint, parseArgs } from "../../autobahn/args.js";
import { compareCaseIds, summarize } from "../../autobahn/summary.js";

/** A small index.json as the fuzzingserver writes it (fields it has beyond these are left out). */
const INDEX = {
  wschan: {
    "1.1.1": {
      behavior: "OK",
      behaviorClose: "OK",
      duration: 2,
      remoteCloseCode: 1000,
      reportfile: "wschan_case_1_1_1.json",
    },
    "1.1.10": {
      behavior: "OK",
      behaviorClose: "OK",
      duration: 3,
      remoteCloseCode: 1000,
      reportfile: "wschan_case_1_1_10.json",
    },
    "1.1.2": {
      behavior: "OK",
      behaviorClose: "OK",
      duration: 2,
      remoteCloseCode: 1000,
      reportfile: "wschan_case_1_1_2.json",
    },
    "2.10": {
      behavior: "NON-STRICT",
      behaviorClose: "OK",
      duration: 5,
      remoteCloseCode: 1000,
      reportfile: "wschan_case_2_10.json",
    },
    "2.9": {
      behavior: "OK",
      behaviorClose: "OK",
      duration: 1,
      remoteCloseCode: 1000,
      reportfile: "wschan_case_2_9.json",
    },
    "5.19": {
      behavior: "OK",
      behaviorClose: "WRONG CODE",
      duration: 1100,
      remoteCloseCode: 1002,
      reportfile: "wschan_case_5_19.json",
    },
    "6.4.3": {
      behavior: "FAILED",
      behaviorClose: "UNCLEAN",
      duration: 2000,
      remoteCloseCode: null,
      reportfile: "wschan_case_6_4_3.json",
    },
    "7.1.6": {
      behavior: "INFORMATIONAL",
      behaviorClose: "INFORMATIONAL",
      duration: 40,
      remoteCloseCode: 1000,
      reportfile: "wschan_case_7_1_6.json",
    },
    "7.13.1": {
      behavior: "INFORMATIONAL",
      behaviorClose: "FAILED",
      duration: 1,
      remoteCloseCode: 1000,
      reportfile: "wschan_case_7_13_1.json",
    },
    "12.1.1": {
      behavior: "UNIMPLEMENTED",
      behaviorClose: "UNIMPLEMENTED",
      duration: 0,
      remoteCloseCode: null,
      reportfile: "wschan_case_12_1_1.json",
    },
  },
  other: {
    "1.1.1": {
      behavior: "FAILED",
      behaviorClose: "FAILED",
      duration: 1,
      remoteCloseCode: null,
      reportfile: "other_case_1_1_1.json",
    },
  },
};

t.test("summarize: counts, families, notable cases and failures", async (t) => {
  const s = summarize(INDEX, "wschan");
  t.equal(s.agent, "wschan");
  t.equal(s.total, 10);
  t.same(
    s.cases.map((c) => c.id),
    ["1.1.1", "1.1.2", "1.1.10", "2.9", "2.10", "5.19", "6.4.3", "7.1.6", "7.13.1", "12.1.1"],
    "cases sorted numerically",
  );
  t.same(
    [...s.behaviors],
    [
      ["OK", 5],
      ["NON-STRICT", 1],
      ["INFORMATIONAL", 2],
      ["UNIMPLEMENTED", 1],
      ["FAILED", 1],
    ],
  );
  t.same(
    [...s.closeBehaviors],
    [
      ["OK", 5],
      ["INFORMATIONAL", 1],
      ["UNIMPLEMENTED", 1],
      ["FAILED", 1],
      ["UNCLEAN", 1],
      ["WRONG CODE", 1],
    ],
    "usual values first, then the others alphabetically",
  );
  t.same(
    s.families.map((f) => [f.family, f.name, f.total, [...f.behaviors]]),
    [
      ["1", "Framing", 3, [["OK", 3]]],
      [
        "2",
        "Pings/Pongs",
        2,
        [
          ["OK", 1],
          ["NON-STRICT", 1],
        ],
      ],
      ["5", "Fragmentation", 1, [["OK", 1]]],
      ["6", "UTF-8 Handling", 1, [["FAILED", 1]]],
      ["7", "Close Handling", 2, [["INFORMATIONAL", 2]]],
      ["12", "WebSocket Compression (different payloads)", 1, [["UNIMPLEMENTED", 1]]],
    ],
    "families in numeric order (12 after 7)",
  );
  t.same(
    s.notable.map((c) => [c.id, c.behavior, c.behaviorClose]),
    [
      ["2.10", "NON-STRICT", "OK"],
      ["5.19", "OK", "WRONG CODE"],
      ["6.4.3", "FAILED", "UNCLEAN"],
      ["7.13.1", "INFORMATIONAL", "FAILED"],
    ],
  );
  t.same(s.failed, ["6.4.3", "7.13.1"], "a FAILED behaviour or close behaviour fails the case");
  t.same(s.missing, []);
  t.equal(s.ok, false);
  t.equal(s.cases[6]?.remoteCloseCode, null);
  t.equal(s.cases[5]?.duration, 1100);
});

t.test("summarize: the text", async (t) => {
  const { text } = summarize(INDEX, "wschan");
  const lines = text.split("\n");
  t.equal(lines[0], 'Autobahn|Testsuite results for agent "wschan": 10 cases');
  t.match(text, /behaviour: +OK 5, NON-STRICT 1, INFORMATIONAL 2, UNIMPLEMENTED 1, FAILED 1\n/);
  t.match(
    text,
    /close behaviour: OK 5, INFORMATIONAL 1, UNIMPLEMENTED 1, FAILED 1, UNCLEAN 1, WRONG CODE 1\n/,
  );
  t.match(text, /\n {2}1 {2}Framing +3 {2}OK 3\n/);
  t.match(text, /\n 12 {2}WebSocket Compression \(different payloads\) +1 {2}UNIMPLEMENTED 1\n/);
  t.match(text, /\n {2}6\.4\.3 +FAILED \/ UNCLEAN +remote close code none +wschan_case_6_4_3\.json\n/);
  t.match(text, /\n {2}5\.19 +OK \/ WRONG CODE +remote close code 1002 +wschan_case_5_19\.json\n/);
  const listed = lines.filter((line) => line.includes("remote close code"));
  t.equal(listed.length, 4);
  t.equal(new Set(listed.map((line) => line.indexOf("remote close code"))).size, 1, "columns line up");
  t.equal(new Set(listed.map((line) => line.indexOf("wschan_case_"))).size, 1, "columns line up");
  t.notMatch(text, /1\.1\.1 +OK/, "OK cases are not listed");
  t.notMatch(text, /7\.1\.6 /, "INFORMATIONAL cases are not listed");
  t.equal(lines.at(-1), "2 cases FAILED: 6.4.3, 7.13.1");
});

t.test("summarize: an all-good agent", async (t) => {
  const s = summarize(
    {
      a: {
        "1.1.1": { behavior: "OK", behaviorClose: "OK" },
        "9.1.1": { behavior: "OK", behaviorClose: "OK" },
      },
    },
    "a",
  );
  t.equal(s.ok, true);
  t.same(s.failed, []);
  t.same(s.notable, []);
  t.same(
    [...s.behaviors],
    [
      ["OK", 2],
      ["NON-STRICT", 0],
      ["INFORMATIONAL", 0],
      ["UNIMPLEMENTED", 0],
      ["FAILED", 0],
    ],
  );
  t.notMatch(s.text, /Not OK/);
  t.equal(s.text.split("\n").at(-1), "No case FAILED.");
  t.match(s.text, /9 {2}Limits\/Performance +1 {2}OK 1/);
});

t.test("summarize: restricted to the cases that were run", async (t) => {
  const s = summarize(INDEX, "wschan", { cases: ["1.1.1", "2.10", "3.1"] });
  t.same(
    s.cases.map((c) => c.id),
    ["1.1.1", "2.10"],
  );
  t.same(s.missing, ["3.1"]);
  t.equal(s.ok, true, "NON-STRICT is not a failure");
  t.match(s.text, /No result in index\.json for: 3\.1/);
});

t.test("summarize: malformed input", async (t) => {
  t.throws(() => summarize(null, "wschan"), /does not hold an object/);
  t.throws(() => summarize([], "wschan"), /does not hold an object/);
  t.throws(() => summarize(INDEX, "nobody"), /no results for agent "nobody" \(it has "wschan", "other"\)/);
  t.throws(() => summarize({}, "wschan"), /it has none/);
  const s = summarize({ x: { "1.1.1": "garbage", "1.1.2": { behavior: 3 } } }, "x");
  t.same(
    s.cases.map((c) => [c.id, c.behavior, c.behaviorClose]),
    [
      ["1.1.1", "UNKNOWN", "UNKNOWN"],
      ["1.1.2", "UNKNOWN", "UNKNOWN"],
    ],
  );
  t.equal(s.notable.length, 2);
  t.equal(s.ok, true);
});

t.test("compareCaseIds", async (t) => {
  const ids = ["10.1.1", "1.1.10", "2.1", "1.1.2", "1.2.1", "1.1", "9.10.1", "9.2.1"];
  t.same([...ids].sort(compareCaseIds), [
    "1.1",
    "1.1.2",
    "1.1.10",
    "1.2.1",
    "2.1",
    "9.2.1",
    "9.10.1",
    "10.1.1",
  ]);
});

t.test("parseArgs: a full command line", async (t) => {
  t.same(
    parseArgs([
      "--url",
      "ws://127.0.0.1:9001",
      "--agent",
      "wschan",
      "--cases",
      "1.1.1, 2.*",
      "--reports",
      "./autobahn/reports/clients",
    ]),
    {
      kind: "run",
      options: {
        url: "ws://127.0.0.1:9001",
        agent: "wschan",
        cases: ["1.1.1", "2.*"],
        reports: "./autobahn/reports/clients",
        compression: 1,
        http2: false,
      },
    },
  );
  t.same(parseArgs(["--url=wss://example.com:9443/fuzz/", "--cases=9.*"]), {
    kind: "run",
    options: {
      url: "wss://example.com:9443/fuzz",
      agent: DEFAULT_AGENT,
      cases: ["9.*"],
      reports: undefined,
      compression: 1,
      http2: false,
    },
  });
});

t.test("parseArgs: --http2 passes the client's http2 option through", async (t) => {
  t.match(parseArgs(["--http2", "on"]), { kind: "run", options: { http2: true } });
  t.match(parseArgs(["--http2=auto"]), { kind: "run", options: { http2: "auto" } });
  t.match(parseArgs(["--http2", "off"]), { kind: "run", options: { http2: false } });
  t.match(parseArgs(["--http2", "yes"]), { kind: "error", message: /--http2/ });
});

t.test("parseArgs: defaults and help", async (t) => {
  t.same(parseArgs([]), {
    kind: "run",
    options: {
      url: DEFAULT_URL,
      agent: DEFAULT_AGENT,
      cases: undefined,
      reports: undefined,
      compression: 1,
      http2: false,
    },
  });
  t.same(parseArgs(["ws://127.0.0.1:9001/"].map((u) => `--url=${u}`)), {
    kind: "run",
    options: {
      url: "ws://127.0.0.1:9001",
      agent: DEFAULT_AGENT,
      cases: undefined,
      reports: undefined,
      compression: 1,
      http2: false,
    },
  });
  t.same(parseArgs(["--help"]), { kind: "help" });
  t.same(parseArgs(["-h"]), { kind: "help" });
  t.equal(parseArgs(["-h", "--bogus"]).kind, "error", "an unknown option is an error even with --help");
});

t.test("parseArgs: usage errors", async (t) => {
  const error = (argv: string[]): string => {
    const r = parseArgs(argv);
    return r.kind === "error" ? r.message : `not an error: ${JSON.stringify(r)}`;
  };
  t.match(error(["--bogus"]), /bogus/);
  t.match(error(["--url"]), /url/);
  t.match(error(["--url", "--agent", "x"]), /url/);
  t.match(error(["extra"]), /unexpected argument: extra/);
  t.match(error(["--url", "http://127.0.0.1:9001"]), /ws:\/\/ or wss:\/\//);
  t.match(error(["--url", "not a url"]), /is not a URL/);
  t.match(error(["--url", "ws://127.0.0.1:9001/?x=1"]), /query or fragment/);
  t.match(error(["--url", "ws://u:p@127.0.0.1:9001"]), /credentials/);
  t.match(error(["--agent", ""]), /--agent must not be empty/);
  t.match(error(["--agent", "a\nb"]), /control characters/);
  t.match(error(["--cases", ""]), /at least one/);
  t.match(error(["--cases", " , "]), /at least one/);
  t.match(error(["--cases", "1.1.1,abc"]), /"abc" is not a case id pattern/);
  t.match(error(["--cases", "1..1"]), /not a case id pattern/);
  t.match(error(["--reports", ""]), /--reports needs a directory/);
});

t.test("caseMatcher", async (t) => {
  const m = caseMatcher(["1.1.1", "2.*", "9.*.1"]);
  t.ok(m("1.1.1"));
  t.notOk(m("1.1.10"), "a pattern without * is exact");
  t.notOk(m("1.1"));
  t.ok(m("2.1"));
  t.ok(m("2.10"));
  t.notOk(m("12.1"), "patterns match whole ids");
  t.notOk(m("2"));
  t.ok(m("9.1.1"));
  t.ok(m("9.8.1"));
  t.notOk(m("9.8.2"));
  t.ok(caseMatcher(["*"])("13.7.18"));
  t.notOk(caseMatcher(["1.1.1"])("1x1x1"), "dots are literal");
});

t.test("endpoint", async (t) => {
  t.equal(endpoint("ws://127.0.0.1:9001", "getCaseCount"), "ws://127.0.0.1:9001/getCaseCount");
  t.equal(
    endpoint("ws://127.0.0.1:9001", "runCase", { case: 7, agent: "wschan" }),
    "ws://127.0.0.1:9001/runCase?case=7&agent=wschan",
  );
  t.equal(
    endpoint("wss://h/fuzz", "updateReports", { agent: "ws chan/1.0&x" }),
    "wss://h/fuzz/updateReports?agent=ws+chan%2F1.0%26x",
  );
});

t.test("--compression picks the permessage-deflate mode offered and refuses anything else", async (t) => {
  const mode = (value: string): number | string => {
    const parsed = parseArgs(["--compression", value]);
    return parsed.kind === "run" ? parsed.options.compression : parsed.kind;
  };
  t.equal(mode("none"), 0);
  t.equal(mode("context"), 1);
  t.equal(mode("no-context"), 2);
  t.equal(mode("gzip"), "error");
  const defaults = parseArgs([]);
  t.equal(defaults.kind === "run" ? defaults.options.compression : -1, 1, "context takeover by default");
});
