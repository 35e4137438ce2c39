import t from "tap";
import { errors, WebSocketError } from "../../src/index.js";
import { parseTarget } from "../../src/options/url.js";
import {
  type CompiledPolicy,
  checkUrl,
  compilePolicy,
  policy,
  policyLayers,
} from "../../src/policy/policy.js";

t.afterEach(() => policy.reset());

/** The reason `url` is refused by the given layers, or undefined when it passes. */
function refusal(layers: readonly CompiledPolicy[], url: string): string | undefined {
  try {
    checkUrl(layers, parseTarget(url).url);
    return undefined;
  } catch (error) {
    if (!(error instanceof WebSocketError) || error.kind !== "PERMISSION_DENIED") throw error;
    return error.message;
  }
}

function matchesAllow(pattern: string, url: string): boolean {
  return refusal([compilePolicy({ urls: { allow: [pattern] } }, "test")], url) === undefined;
}

function matchesDeny(pattern: string, url: string): boolean {
  return refusal([compilePolicy({ urls: { deny: [pattern] } }, "test")], url) !== undefined;
}

// [pattern, URL as the caller writes it, matched as an allow pattern, matched as a deny pattern].
// Most rows match both ways or neither; where they differ, deny reads the path broadly and allow
// strictly (see policy.ts).
const TABLE: [string, string, boolean, boolean][] = [
  // Exact host: scheme, default port, case, trailing dot, escapes, userinfo.
  ["wss://api.example.com", "wss://api.example.com/", true, true],
  ["wss://api.example.com", "wss://api.example.com:443/any/path?q=1", true, true],
  ["wss://api.example.com", "wss://api.example.com:8443/", false, false],
  ["wss://api.example.com", "ws://api.example.com/", false, false],
  ["wss://api.example.com", "wss://API.Example.COM/", true, true],
  ["wss://API.EXAMPLE.COM", "wss://api.example.com/", true, true],
  ["wss://api.example.com", "wss://api.example.com./", true, true],
  ["wss://api.example.com", "wss://%61pi.example.com/", true, true],
  ["wss://api.example.com", "wss://user:secret@api.example.com/", true, true],
  // Bypass attempts: the host is what the URL parser says, never a substring of the text.
  ["wss://api.example.com", "wss://api.example.com@evil.com/", false, false],
  ["wss://api.example.com", "wss://api.example.com:443@evil.com/", false, false],
  ["wss://api.example.com", "wss://evil.com/api.example.com", false, false],
  ["wss://api.example.com", "wss://api.example.com.evil.com/", false, false],
  ["wss://api.example.com", "wss://evil.com?api.example.com", false, false],
  ["wss://api.example.com", "wss://evil.com\\@api.example.com/", false, false],
  ["wss://api.example.com", "wss://evil.com%2f@api.example.com/", true, true], // "%2f" in userinfo: the host is api.example.com
  ["wss://api.example.com", "wss://api.example.com%2eevil.com/", false, false],
  ["wss://api.example.com", "wss://apI.exAmple.com%2E/", true, true],
  // Wildcards match whole labels, one or more, never the apex.
  ["wss://*.example.com/*", "wss://a.example.com/x", true, true],
  ["wss://*.example.com/*", "wss://a.b.example.com/", true, true],
  ["wss://*.example.com/*", "wss://example.com/", false, false],
  ["wss://*.example.com/*", "wss://evil.com/x.example.com/", false, false],
  ["wss://*.example.com/*", "wss://example.com.evil.com/", false, false],
  ["wss://*.example.com/*", "wss://user@evil.com/", false, false],
  ["wss://*.example.com/*", "wss://x.example.com@evil.com/", false, false],
  ["wss://*.example.com/*", "wss://evilexample.com/", false, false],
  ["wss://*.example.com/*", "wss://a.example.com.evil.com/", false, false],
  ["wss://*.example.com/*", "wss://A.EXAMPLE.COM/", true, true],
  ["wss://*.example.com/*", "wss://a.%65xample.com/", true, true],
  ["wss://*.example.com/*", "wss://a.example.com./", true, true],
  ["wss://*.example.com/*", "wss://a.example.com%2eevil.com/", false, false],
  ["wss://*.example.com/*", "wss://ａ.ｅｘａｍｐｌｅ.ｃｏｍ/", true, true], // full-width: IDNA maps it to ASCII
  ["wss://*.example.com/*", "wss://a.exаmple.com/", false, false], // Cyrillic "а": a different punycode name
  ["wss://*.example.com", "wss://a.example.com:444/", false, false],
  // IDN: patterns and URLs meet in punycode.
  ["wss://*.bücher.example", "wss://shop.xn--bcher-kva.example/", true, true],
  ["wss://*.xn--bcher-kva.example", "wss://shop.BÜCHER.example/", true, true],
  // IP literals in every spelling the URL parser accepts.
  ["ws://127.0.0.1:*", "ws://127.0.0.1:8080/", true, true],
  ["ws://127.0.0.1:*", "ws://127.0.0.1/", true, true],
  ["ws://127.0.0.1:*", "ws://2130706433:9000/", true, true],
  ["ws://127.0.0.1:*", "ws://0x7f.0.0.1/", true, true],
  ["ws://127.0.0.1:*", "ws://0177.0.0.1/", true, true],
  ["ws://127.0.0.1:*", "ws://127.1/", true, true],
  ["ws://127.0.0.1:*", "ws://127.0.0.1./", true, true],
  ["ws://127.0.0.1:*", "ws://[::ffff:127.0.0.1]:1/", true, true],
  ["ws://127.0.0.1:*", "ws://[::ffff:7f00:1]/", true, true],
  ["ws://127.0.0.1:*", "ws://127.0.0.2/", false, false],
  ["ws://127.0.0.1:*", "wss://127.0.0.1/", false, false],
  ["ws://127.0.0.1:*", "ws://localhost/", false, false], // names are not resolved: see private_networks
  ["ws://[::ffff:127.0.0.1]", "ws://127.0.0.1/", true, true],
  ["ws://[::1]:*", "ws://[0:0:0:0:0:0:0:1]:80/", true, true],
  ["ws://[::1]:*", "ws://[::0:1]/", true, true],
  ["ws://[2001:DB8::1]", "ws://[2001:db8:0::1]/", true, true],
  ["ws://[2001:db8::1]", "ws://[2001:db8::2]/", false, false],
  ["ws://*.0.0.example:*", "ws://x.0.0.example:1/", true, true],
  // Paths: parsed, dot segments resolved, unreserved escapes decoded; the query never matters.
  ["wss://*.example.com:443/stream/*", "wss://a.example.com/stream/x", true, true],
  ["wss://*.example.com:443/stream/*", "wss://a.example.com/stream/", true, true],
  ["wss://*.example.com:443/stream/*", "wss://a.example.com:8443/stream/x", false, false],
  ["wss://*.example.com:443/stream/*", "wss://a.example.com/stream", false, false],
  ["wss://*.example.com:443/stream/*", "wss://a.example.com/streamer/x", false, false],
  ["wss://*.example.com:443/stream/*", "wss://a.example.com/stream/../admin", false, false],
  ["wss://*.example.com:443/stream/*", "wss://a.example.com/stream/%2e%2e/admin", false, false],
  ["wss://*.example.com:443/stream/*", "wss://a.example.com/stream/.%2E/admin", false, false],
  ["wss://*.example.com:443/stream/*", "wss://a.example.com/stream\\..\\admin", false, false],
  ["wss://*.example.com:443/stream/*", "wss://a.example.com/%73tream/x", true, true],
  ["wss://*.example.com:443/stream/*", "wss://a.example.com/stream/%5C..%5Cadmin", true, true], // read as /stream/admin
  ["wss://*.example.com:443/stream/*", "wss://a.example.com/stream/%5C..%5C..%5Cadmin", false, true], // read as /admin
  ["wss://*.example.com:443/stream/*", "wss://a.example.com/stream%2F..%2Fadmin", false, false],
  ["wss://h.example/admin/*", "wss://h.example/admin%2Fsecret", false, true],
  ["wss://h.example/admin", "wss://h.example/admin?x=1", true, true],
  ["wss://h.example/admin", "wss://h.example/admin/", false, false],
  ["wss://h.example/admin", "wss://h.example/ADMIN", false, true],
  ["wss://h.example/admin", "wss://h.example/%61dmin", true, true],
  ["wss://h.example/a%2fb", "wss://h.example/a%2Fb", true, true],
  ["wss://h.example/", "wss://h.example", true, true],
  // Any host, any port.
  ["wss://*:*", "wss://anything.example:1/x", true, true],
  ["wss://*:*", "ws://anything.example/", false, false],
  ["ws://*", "ws://[::1]/", true, true],
  ["ws://*", "ws://[::1]:81/", false, false],
];

t.test(`the pattern table: ${TABLE.length} URL/pattern pairs, as allow and as deny patterns`, async (t) => {
  t.ok(TABLE.length >= 40);
  for (const [pattern, url, allow, deny] of TABLE) {
    t.equal(
      matchesAllow(pattern, url),
      allow,
      `allow ${pattern} ${allow ? "matches" : "does not match"} ${url}`,
    );
    t.equal(matchesDeny(pattern, url), deny, `deny ${pattern} ${deny ? "matches" : "does not match"} ${url}`);
  }
});

t.test("invalid patterns are refused with INVALID when the policy is set", async (t) => {
  const bad: unknown[] = [
    "api.example.com",
    "//api.example.com",
    "http://api.example.com",
    "https://api.example.com",
    "*://api.example.com",
    "wss://",
    "wss://:443",
    "wss://a*.example.com",
    "wss://*example.com",
    "wss://api.*.com",
    "wss://*.*.example.com",
    "wss://example.*",
    "wss://*.",
    "wss://*.1",
    "wss://*.127.0.0.1",
    "wss://*.[::1]",
    "wss://user@api.example.com",
    "wss://user:pw@api.example.com",
    "wss://api.example.com:0",
    "wss://api.example.com:65536",
    "wss://api.example.com:https",
    "wss://api.example.com:",
    "wss://api.example.com/a*b",
    "wss://api.example.com/*/x",
    "wss://api.example.com/x?y=1",
    "wss://api.example.com/x#frag",
    "wss://api.example.com?x",
    "wss://[::1",
    "wss://[not-ipv6]",
    "wss://exa mple.com",
    "wss://%zz.example.com",
    "",
    42,
    null,
  ];
  for (const pattern of bad) {
    t.throws(
      () => policy.set({ urls: { allow: [pattern as string] } }),
      { name: "WebSocketError", kind: "INVALID" },
      `allow ${JSON.stringify(pattern)} is invalid`,
    );
    t.throws(
      () => policy.set({ urls: { deny: [pattern as string] } }),
      { name: "WebSocketError", kind: "INVALID" },
      `deny ${JSON.stringify(pattern)} is invalid`,
    );
  }
  t.same(
    policy.get(),
    { connect: true, urls: { deny: [] }, private_networks: true },
    "the policy is unchanged",
  );
});

t.test("a malformed policy is INVALID and leaves the policy in force unchanged", async (t) => {
  policy.set({ urls: { deny: ["wss://admin.example.com"] } });
  const before = policy.get();
  const bad: unknown[] = [
    undefined,
    null,
    "deny all",
    [],
    { connect: "false" },
    { connect: 0 },
    { private_networks: "no" },
    { private_network: false }, // a typo must not silently allow private networks
    { url: { deny: [] } },
    { urls: [] },
    { urls: { allow: "wss://a.example" } },
    { urls: { deny: [1] } },
    { urls: { block: [] } },
    { urls: { deny: ["wss://ok.example", "not a pattern"] } },
  ];
  for (const value of bad) {
    t.throws(
      () => policy.set(value as never),
      { name: "WebSocketError", kind: "INVALID" },
      `set(${JSON.stringify(value)})`,
    );
  }
  t.equal(policy.get(), before);
});

t.test("set, get and reset", async (t) => {
  t.same(
    policy.get(),
    { connect: true, urls: { deny: [] }, private_networks: true },
    "the default allows everything",
  );
  const allow = ["wss://*.example.com"];
  policy.set({ connect: true, urls: { allow, deny: ["wss://admin.example.com"] }, private_networks: false });
  allow.push("wss://evil.com");
  const got = policy.get();
  t.same(got, {
    connect: true,
    urls: { allow: ["wss://*.example.com"], deny: ["wss://admin.example.com"] },
    private_networks: false,
  });
  t.ok(Object.isFrozen(got) && Object.isFrozen(got.urls) && Object.isFrozen(got.urls?.allow));
  t.not(
    refusal(policyLayers(undefined), "wss://evil.com/"),
    undefined,
    "changing the caller's array changes nothing",
  );
  policy.set({ private_networks: false });
  t.same(
    policy.get(),
    { connect: true, urls: { deny: [] }, private_networks: false },
    "set replaces the whole policy",
  );
  policy.set(got);
  t.same(policy.get(), got, "what get returns can be set again");
  policy.reset();
  t.same(policy.get(), { connect: true, urls: { deny: [] }, private_networks: true });
  t.ok(Object.isFrozen(policy));
});

t.test("connect: false refuses every connection, naming the rule", async (t) => {
  policy.set({ connect: false });
  const message = refusal(policyLayers(undefined), "wss://api.example.com/");
  t.match(message, /websocket\.connect: connections are disabled by websocket\.policy \(connect: false\)/);
  t.match(refusal(policyLayers(undefined), "ws://127.0.0.1/"), /connect: false/);
});

t.test("a deny match always wins over an allow match", async (t) => {
  policy.set({ urls: { allow: ["wss://*.example.com"], deny: ["wss://admin.example.com"] } });
  const layers = policyLayers(undefined);
  t.equal(refusal(layers, "wss://api.example.com/"), undefined);
  t.match(
    refusal(layers, "wss://admin.example.com/"),
    'websocket.connect.url: wss://admin.example.com/ matches the urls.deny pattern "wss://admin.example.com" of websocket.policy',
  );
  t.match(
    refusal(layers, "wss://other.org/"),
    "websocket.connect.url: wss://other.org/ matches none of the 1 urls.allow pattern of websocket.policy",
  );
});

t.test("an empty allow list allows nothing; no allow list allows everything", async (t) => {
  t.not(refusal([compilePolicy({ urls: { allow: [] } }, "p")], "wss://a.example/"), undefined);
  t.equal(refusal([compilePolicy({ urls: { deny: [] } }, "p")], "wss://a.example/"), undefined);
  t.equal(refusal([compilePolicy({}, "p")], "wss://a.example/"), undefined);
});

t.test("options.policy only narrows the process-wide policy", async (t) => {
  const narrow = (value: object) => policyLayers(compilePolicy(value, "options.policy"));
  policy.set({ urls: { allow: ["wss://*.example.com"] } });
  t.equal(
    refusal(narrow({ urls: { allow: ["wss://api.example.com"] } }), "wss://api.example.com/"),
    undefined,
  );
  t.match(
    refusal(narrow({ urls: { allow: ["wss://api.example.com"] } }), "wss://www.example.com/"),
    "urls.allow pattern of options.policy",
  );
  t.match(
    refusal(narrow({ urls: { allow: ["wss://other.org"] } }), "wss://other.org/"),
    "of websocket.policy",
    "an allow entry in options cannot admit what the process policy does not",
  );
  t.match(
    refusal(narrow({ urls: { deny: ["wss://api.example.com"] } }), "wss://api.example.com/"),
    'urls.deny pattern "wss://api.example.com" of options.policy',
  );
  policy.set({ connect: false });
  t.match(refusal(narrow({ connect: true }), "wss://api.example.com/"), "disabled by websocket.policy");
  policy.set({ urls: { deny: ["wss://api.example.com"] } });
  t.match(
    refusal(narrow({ urls: { allow: ["wss://api.example.com"] } }), "wss://api.example.com/"),
    "of websocket.policy",
    "an allow entry in options cannot lift a process deny",
  );
  policy.set({ private_networks: false });
  t.match(
    refusal(narrow({ private_networks: true }), "ws://127.0.0.1/"),
    "websocket.policy has private_networks: false",
  );
  policy.reset();
  t.match(refusal(narrow({ connect: false }), "ws://127.0.0.1/"), "disabled by options.policy");
  t.match(
    refusal(narrow({ private_networks: false }), "ws://10.0.0.1/"),
    "options.policy has private_networks: false",
  );
});

t.test("private_networks: false refuses IP literals of every family before any lookup", async (t) => {
  policy.set({ private_networks: false });
  const layers = policyLayers(undefined);
  const refused: [string, string][] = [
    ["ws://127.0.0.1/", "loopback"],
    ["ws://2130706433/", "loopback"],
    ["ws://10.0.0.1/", "private"],
    ["ws://172.16.5.4/", "private"],
    ["ws://192.168.1.1/", "private"],
    ["ws://169.254.169.254/latest/meta-data", "link-local"],
    ["ws://100.64.1.1/", "CGNAT"],
    ["ws://0.0.0.0/", "unspecified"],
    ["ws://[::]/", "unspecified"],
    ["ws://[::1]/", "loopback"],
    ["ws://[fe80::1]/", "link-local"],
    ["ws://[fd00::1]/", "unique-local"],
    ["ws://[fc00::1]/", "unique-local"],
    ["ws://[::ffff:127.0.0.1]/", "loopback"],
    ["ws://[::ffff:a00:1]/", "private"],
    ["ws://[::ffff:169.254.169.254]/", "link-local"],
    ["ws://[64:ff9b::a9fe:a9fe]/", "NAT64-translated link-local"],
    ["ws://[2002:a00:1::]/", "6to4-embedded private"],
  ];
  for (const [url, range] of refused) {
    const message = refusal(layers, url);
    t.match(message, range, `${url} is refused as ${range}`);
    t.match(message, "private_networks: false", "the refusal names the rule");
  }
  t.equal(refusal(layers, "ws://8.8.8.8/"), undefined, "a public IPv4 passes");
  t.equal(refusal(layers, "ws://[2606:4700::1]/"), undefined, "a public IPv6 passes");
  t.equal(refusal(layers, "ws://[::ffff:8.8.8.8]/"), undefined, "a mapped public IPv4 passes");
  t.equal(
    refusal(layers, "ws://localhost/"),
    undefined,
    "names are checked on the addresses DNS returns, in dial",
  );
});

t.test("refusals are PERMISSION_DENIED, not retryable, and never show credentials", async (t) => {
  policy.set({ urls: { deny: ["wss://*.example.com"] } });
  try {
    checkUrl(policyLayers(undefined), parseTarget("wss://alice:hunter2@a.example.com/x?token=abc").url);
    t.fail("should refuse");
  } catch (error) {
    t.ok(errors.is(error, errors.PERMISSION_DENIED));
    t.equal((error as WebSocketError).retryable, false);
    t.notMatch((error as Error).message, /alice|hunter2|token/);
  }
});
