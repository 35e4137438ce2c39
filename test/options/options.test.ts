import * as nodeTls from "node:tls";
import t from "tap";
import { MAX_DURATION_MS } from "../../src/options/duration.js";
import { resolveOptions } from "../../src/options/options.js";
import { tlsConnectOptions } from "../../src/options/tls.js";
import { parseTarget } from "../../src/options/url.js";
import { polluted, thrown } from "../helpers/pollution.js";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

t.test("the resolved options are a frozen record with no prototype", async (t) => {
  const resolved = resolveOptions({ headers: { "X-A": "1" }, protocols: ["chat"], tls: { ca: PEM } });
  t.equal(Object.getPrototypeOf(resolved), null);
  t.ok(Object.isFrozen(resolved));
  t.equal(Object.getPrototypeOf(resolved.headers), null, "headers have no prototype");
  t.ok(Object.isFrozen(resolved.headers));
  t.ok(Object.isFrozen(resolved.protocols));
  t.equal(Object.getPrototypeOf(resolved.tls), null, "tls has no prototype");
  t.ok(Object.isFrozen(resolved.tls));
});

t.test("a polluted Object.prototype changes no option", async (t) => {
  const clean = resolveOptions({});
  const withTls = resolveOptions({ tls: { ca: PEM } });
  const pollution = {
    headers: { "X-Injected": "1" },
    protocols: ["evil"],
    dial_timeout: 1,
    read_timeout: 1,
    write_timeout: 1,
    compression: 1,
    compression_threshold: 5,
    read_limit: 1,
    channel_capacity: 1,
    keepalive: 1,
    keepalive_timeout: 1,
    tls: { rejectUnauthorized: false },
    proxy: "http://127.0.0.1:9",
    signal: AbortSignal.abort(),
    policy: { connect: false },
    rejectUnauthorized: false,
    ca: PEM,
    cert: PEM,
    key: PEM,
    servername: "evil.test",
    minVersion: "TLSv1",
    connect: false,
    private_networks: false,
    urls: { allow: [] },
  };
  polluted(pollution, () => {
    const resolved = resolveOptions({});
    t.same({ ...resolved }, { ...clean }, "resolveOptions({}) is the same as without pollution");
    t.equal(resolved.proxy, "env", "the proxy is the environment's (the default), not the prototype's");
    t.equal(resolved.policy, undefined, "no policy");
    t.equal(resolved.signal, undefined, "no signal");
    t.same(Object.keys(resolved.headers), [], "no header");
    t.same(resolved.protocols, [], "no protocol");
    t.equal(resolved.tls.rejectUnauthorized, undefined, "certificates are checked");
    t.equal(resolved.tls.ca, undefined, "no polluted CA");
    const tls = resolveOptions({ tls: { ca: PEM } }).tls;
    t.same({ ...tls }, { ...withTls.tls }, "the tls snapshot holds only the given ca");
    t.equal(tls.rejectUnauthorized, undefined);
    t.equal(tls.servername, undefined);
  });
});

t.test("the options given to tls.connect state every field that matters, pollution or not", async (t) => {
  const target = parseTarget("wss://127.0.0.1:1/");
  const context = nodeTls.createSecureContext({});
  const socket = {} as import("node:net").Socket;
  polluted(
    {
      rejectUnauthorized: false,
      servername: "evil.test",
      checkServerIdentity: () => undefined,
      session: Buffer.from("x"),
      pskCallback: () => null,
    },
    () => {
      const tls = resolveOptions({ tls: {} }).tls;
      const given = tlsConnectOptions(tls, target.host, target.servername, socket, context);
      // Node spreads what it is given into a plain object: read it the way Node does.
      const seen = { ...given };
      t.equal(seen.rejectUnauthorized, true);
      t.equal(seen.servername, undefined, "an IP address sends no SNI, whatever is polluted");
      t.ok(Object.hasOwn(seen, "servername"), "servername is stated, so the prototype's is never read");
      t.equal(seen.checkServerIdentity, nodeTls.checkServerIdentity);
      t.equal(seen.session, undefined);
      t.ok(Object.hasOwn(seen, "session"));
      t.equal(seen.pskCallback, undefined);
      t.ok(Object.hasOwn(seen, "pskCallback"));
    },
  );
});

t.test(
  "each option is read once and copied: later changes to the caller's objects change nothing",
  async (t) => {
    const headers: Record<string, string> = { "X-A": "1" };
    const protocols = ["chat"];
    const ca = Buffer.from(PEM);
    let reads = 0;
    const options = {
      headers,
      protocols,
      tls: { ca },
      get read_limit(): number {
        reads++;
        return reads === 1 ? 1024 : 0;
      },
    };
    const resolved = resolveOptions(options);
    headers["X-Injected"] = "1";
    headers.Cookie = "a=b";
    protocols.push("evil");
    protocols[0] = "changed";
    ca.fill(0);
    t.same({ ...resolved.headers }, { "X-A": "1" });
    t.same(resolved.protocols, ["chat"]);
    t.equal(Buffer.from(resolved.tls.ca as Buffer).toString(), PEM, "the CA was copied");
    t.equal(reads, 1, "the getter was read once");
    t.equal(resolved.readLimit, 1024);
  },
);

t.test("an array hole is refused rather than read through the prototype", async (t) => {
  const proto = Array.prototype as unknown as Record<string, unknown>;
  proto[0] = "evil";
  try {
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    const error = thrown(() => resolveOptions({ protocols: [, "chat"] }));
    t.equal(error.id, "INVALID_OPTION");
  } finally {
    delete proto[0];
  }
});

t.test("headers and protocols are checked at the call, as INVALID_OPTION", async (t) => {
  t.equal(thrown(() => resolveOptions({ headers: { Host: "x" } })).id, "INVALID_OPTION");
  t.equal(thrown(() => resolveOptions({ headers: { "X-A": "a\r\nB: c" } })).id, "INVALID_OPTION");
  t.equal(thrown(() => resolveOptions({ protocols: ["a", "a"] })).id, "INVALID_OPTION");
  t.equal(thrown(() => resolveOptions({ proxy: "ftp://x" })).id, "INVALID_OPTION");
});

t.test("a duration over the maximum says the maximum", async (t) => {
  for (const value of ["720h", MAX_DURATION_MS + 1, "1000000h"]) {
    const error = thrown(() => resolveOptions({ read_timeout: value }));
    t.equal(error.id, "INVALID_OPTION");
    t.equal(error.kind, "INVALID");
    t.match(error.message, /read_timeout/);
    t.match(error.message, /maximum/);
    t.match(error.message, String(MAX_DURATION_MS), "the maximum is given in milliseconds");
  }
  t.equal(resolveOptions({ read_timeout: "596h" }).readTimeout, 596 * 3_600_000, "just under is accepted");
  const negative = thrown(() => resolveOptions({ dial_timeout: -5 }));
  t.equal(negative.id, "INVALID_OPTION");
  t.match(negative.message, /0 or more/);
  const garbage = thrown(() => resolveOptions({ write_timeout: "5 seconds" }));
  t.notMatch(garbage.message, /maximum/);
  t.match(garbage.message, /"5s"/);
});

t.test("an unknown option suggests the one probably meant", async (t) => {
  const table: [Record<string, unknown>, string][] = [
    [{ readTimeout: "5s" }, "read_timeout"],
    [{ dialTimeout: "5s" }, "dial_timeout"],
    [{ keepAliveTimeout: "5s" }, "keepalive_timeout"],
    [{ channelCapacity: 4 }, "channel_capacity"],
    [{ read_timout: "5s" }, "read_timeout"],
    [{ protocol: ["a"] }, "protocols"],
    [{ header: {} }, "headers"],
  ];
  for (const [options, meant] of table) {
    const error = thrown(() => resolveOptions(options));
    t.equal(error.id, "INVALID_OPTION");
    t.match(error.message, `did you mean "${meant}"`, `${Object.keys(options)[0]} suggests ${meant}`);
  }
  const far = thrown(() => resolveOptions({ colour: 1 }));
  t.equal(far.id, "INVALID_OPTION");
  t.notMatch(far.message, /did you mean/, "nothing is suggested when nothing is close");
  const tls = thrown(() => resolveOptions({ tls: { reject_unauthorized: false } }));
  t.equal(tls.id, "INVALID_OPTION");
  t.match(tls.message, 'did you mean "rejectUnauthorized"');
  const policy = thrown(() => resolveOptions({ policy: { privateNetworks: false } }));
  t.equal(policy.id, "INVALID_OPTION");
  t.match(policy.message, 'did you mean "private_networks"');
});

t.test("a tls.ca, cert or key that looks like a file path says so", async (t) => {
  const table: [string, string][] = [
    ["ca", "/etc/ssl/certs/my-ca.pem"],
    ["ca", "./ca.crt"],
    ["cert", "client.crt"],
    ["key", "C:\\keys\\client.key"],
    ["key", "~/keys/client"],
  ];
  for (const [field, path] of table) {
    const error = thrown(() => resolveOptions({ tls: { [field]: path } }));
    t.equal(error.id, "INVALID_OPTION");
    t.match(error.message, `tls.${field}`);
    t.match(error.message, /looks like a file path/, `${field}: ${path}`);
  }
  const inArray = thrown(() => resolveOptions({ tls: { ca: [PEM, "/etc/ssl/ca.pem"] } }));
  t.match(inArray.message, /looks like a file path/);
  const notPem = thrown(() => resolveOptions({ tls: { ca: "MIIBxyz" } }));
  t.equal(notPem.id, "INVALID_OPTION");
  t.match(notPem.message, /-----BEGIN/);
  t.notMatch(notPem.message, /file path/);
  t.ok(resolveOptions({ tls: { ca: PEM, cert: Buffer.from(PEM) } }), "PEM text and Buffers pass");
});

t.test("tls.servername loses its trailing dot", async (t) => {
  t.equal(resolveOptions({ tls: { servername: "WS.test." } }).tls.servername, "WS.test");
});
