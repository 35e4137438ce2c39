import t from "tap";
import { noProxyMatches, proxyFromEnv } from "../../src/routes/env-proxy.js";

t.test(
  "precedence: wss_proxy, https_proxy, all_proxy for wss:; ws_proxy, http_proxy, all_proxy for ws:",
  async (t) => {
    const env = {
      wss_proxy: "http://wss:1",
      https_proxy: "http://https:1",
      ws_proxy: "http://ws:1",
      http_proxy: "http://http:1",
      all_proxy: "socks5://all:1",
    };
    t.same(proxyFromEnv(env, "wss:", "example.com", 443), { url: "http://wss:1", variable: "wss_proxy" });
    t.same(proxyFromEnv(env, "ws:", "example.com", 80), { url: "http://ws:1", variable: "ws_proxy" });
    const { wss_proxy: _a, ws_proxy: _b, ...noWs } = env;
    t.same(proxyFromEnv(noWs, "wss:", "example.com", 443)?.variable, "https_proxy");
    t.same(proxyFromEnv(noWs, "ws:", "example.com", 80)?.variable, "http_proxy");
    t.same(proxyFromEnv({ all_proxy: "socks5h://all:1" }, "ws:", "example.com", 80)?.variable, "all_proxy");
    t.same(
      proxyFromEnv({ http_proxy: "http://x:1" }, "wss:", "example.com", 443),
      undefined,
      "http_proxy is not for wss:",
    );
    t.same(
      proxyFromEnv({ https_proxy: "http://x:1" }, "ws:", "example.com", 80),
      undefined,
      "https_proxy is not for ws:",
    );
  },
);

t.test("both cases, lower case first; empty values are unset; a bare host:port is http://", async (t) => {
  t.same(proxyFromEnv({ HTTPS_PROXY: "http://upper:1" }, "wss:", "a.example", 443)?.url, "http://upper:1");
  t.same(
    proxyFromEnv({ https_proxy: "http://lower:1", HTTPS_PROXY: "http://upper:1" }, "wss:", "a.example", 443)
      ?.url,
    "http://lower:1",
  );
  t.same(
    proxyFromEnv({ https_proxy: "", ALL_PROXY: "http://all:1" }, "wss:", "a.example", 443)?.variable,
    "ALL_PROXY",
  );
  t.same(
    proxyFromEnv({ http_proxy: "proxy.corp:3128" }, "ws:", "a.example", 80)?.url,
    "http://proxy.corp:3128",
  );
});

t.test("localhost and loopback always go direct", async (t) => {
  const env = { all_proxy: "http://p:1" };
  for (const host of [
    "localhost",
    "LOCALHOST.",
    "app.localhost",
    "127.0.0.1",
    "127.9.9.9",
    "::1",
    "::ffff:127.0.0.1",
  ]) {
    t.equal(proxyFromEnv(env, "ws:", host, 80), undefined, host);
  }
  t.ok(
    proxyFromEnv(env, "ws:", "10.0.0.1", 80),
    "a private address is proxied unless NO_PROXY says otherwise",
  );
});

t.test("NO_PROXY forms: host, .domain, *.domain, *, IP, CIDR, port", async (t) => {
  const yes: [string, string, number][] = [
    ["example.com", "example.com", 80],
    ["example.com", "api.example.com", 80],
    ["EXAMPLE.com", "Example.COM", 80],
    [".example.com", "api.example.com", 80],
    ["*.example.com", "api.example.com", 80],
    ["*", "anything", 1],
    ["10.1.2.3", "10.1.2.3", 80],
    ["10.0.0.0/8", "10.200.0.1", 80],
    ["fd00::/8", "fd12::1", 80],
    ["2001:db8::1", "2001:db8:0:0::1", 80],
    ["[2001:db8::1]:8080", "2001:db8::1", 8080],
    ["example.com:8080", "example.com", 8080],
    ["a.test, example.com  b.test", "example.com", 80],
    ["10.0.0.0/8", "::ffff:10.1.1.1", 80],
  ];
  for (const [list, host, port] of yes)
    t.ok(noProxyMatches(list, host, port), `${list} exempts ${host}:${port}`);
  const no: [string, string, number][] = [
    ["example.com", "notexample.com", 80],
    [".example.com", "example.com", 80],
    ["example.com:8080", "example.com", 80],
    ["10.0.0.0/8", "11.0.0.1", 80],
    ["10.1.2.3", "10.1.2.4", 80],
    ["fd00::/8", "fe80::1", 80],
    ["10.0.0.0/8", "ten.example", 80],
    ["", "example.com", 80],
  ];
  for (const [list, host, port] of no)
    t.notOk(noProxyMatches(list, host, port), `${list} does not exempt ${host}:${port}`);
  t.equal(
    proxyFromEnv({ all_proxy: "http://p:1", no_proxy: "example.com" }, "ws:", "x.example.com", 80),
    undefined,
  );
  t.equal(proxyFromEnv({ all_proxy: "http://p:1", NO_PROXY: "*" }, "ws:", "x.example.com", 80), undefined);
  t.ok(
    proxyFromEnv(
      { all_proxy: "http://p:1", no_proxy: "other.com", NO_PROXY: "*" },
      "ws:",
      "x.example.com",
      80,
    ),
    "no_proxy (lower case) wins over NO_PROXY",
  );
});
