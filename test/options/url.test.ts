import t from "tap";
import { describeUrl, parseTarget, shownUrl } from "../../src/options/url.js";
import { thrown } from "../helpers/pollution.js";

t.test("shownUrl drops user:pass@ and keeps the rest", async (t) => {
  t.equal(
    shownUrl(new URL("ws://alice:s3cret@example.com:8080/chat?room=1")),
    "ws://example.com:8080/chat?room=1",
  );
  t.equal(shownUrl(new URL("wss://alice@example.com/")), "wss://example.com/", "a user name alone");
  t.equal(shownUrl(new URL("wss://:s3cret@example.com/")), "wss://example.com/", "a password alone");
  t.equal(shownUrl(new URL("ws://[::1]:9/x")), "ws://[::1]:9/x", "a URL without credentials is unchanged");
  const url = new URL("ws://alice:s3cret@example.com/");
  shownUrl(url);
  t.equal(url.password, "s3cret", "the URL dialled keeps its credentials for the Authorization header");
});

t.test("describeUrl, for messages, drops credentials and the query", async (t) => {
  t.equal(describeUrl(new URL("ws://alice:s3cret@example.com/a?token=x")), "ws://example.com/a");
});

t.test("the SNI name has no trailing dot and is never an IP address", async (t) => {
  t.equal(parseTarget("wss://WS.TEST./").servername, "ws.test");
  t.equal(parseTarget("wss://ws.test..:8443/").servername, "ws.test");
  t.equal(parseTarget("wss://ws.test./").host, "ws.test.", "DNS is asked for the name as written");
  t.equal(parseTarget("wss://127.0.0.1/").servername, undefined);
  t.equal(parseTarget("wss://[::1]/").servername, undefined);
});

t.test("URL errors are INVALID_URL and never show credentials", async (t) => {
  for (const bad of ["http://example.com/", "wss://example.com/#x", "not a url", 42]) {
    const error = thrown(() => parseTarget(bad));
    t.equal(error.id, "INVALID_URL", String(bad));
    t.equal(error.kind, "INVALID");
  }
  t.match(thrown(() => parseTarget("https://example.com/")).message, /wss:/, "https: points at wss:");
  const withSecret = thrown(() => parseTarget("ws://alice:s3 cret@exa mple.com/"));
  t.notMatch(withSecret.message, /s3 cret/);
});
