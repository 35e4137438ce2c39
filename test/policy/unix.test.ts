import t from "tap";
import { checkUnix, compilePolicy } from "../../src/policy/policy.js";

/** The policy's rule for unix domain sockets. */

const layer = (p: object, where = "websocket.policy") => compilePolicy(p, where);

t.test(
  "allowed by default; refused by private_networks: false, an allow list, or unix_sockets: false",
  async (t) => {
    t.doesNotThrow(() => checkUnix([layer({})], "/run/a.sock"));
    for (const [policy, reason] of [
      [{ private_networks: false }, /private_networks: false/],
      [{ urls: { allow: ["wss://example.com"] } }, /urls\.allow/],
      [{ unix_sockets: false }, /unix_sockets: false/],
      [{ connect: false }, /connect: false/],
    ] as const) {
      t.throws(() => checkUnix([layer(policy)], "/run/a.sock"), {
        kind: "PERMISSION_DENIED",
        message: reason,
      });
      t.match(
        errorOf(() => checkUnix([layer(policy)], "/x")),
        {
          id: "connect" in policy ? "POLICY_CONNECT_DISABLED" : "POLICY_UNIX_SOCKET",
        },
      );
    }
  },
);

t.test("unix_sockets: true allows them explicitly; a narrowing layer can still refuse", async (t) => {
  const open = layer({ private_networks: false, unix_sockets: true });
  t.doesNotThrow(() => checkUnix([open], "/run/a.sock"));
  t.throws(() => checkUnix([open, layer({ unix_sockets: false }, "options.policy")], "/run/a.sock"), {
    message: /options\.policy: unix_sockets: false/,
  });
  t.throws(() => checkUnix([layer({}), layer({ private_networks: false }, "options.policy")], "/x"), {
    message: /options\.policy/,
  });
});

t.test("unix_sockets must be a boolean, and shows in the policy's view when set", async (t) => {
  t.throws(() => layer({ unix_sockets: "yes" }), {
    kind: "INVALID",
    message: /unix_sockets must be a boolean/,
  });
  t.same(layer({ unix_sockets: true }).view, {
    connect: true,
    urls: { deny: [] },
    private_networks: true,
    unix_sockets: true,
  });
});

function errorOf(f: () => void): unknown {
  try {
    f();
  } catch (error) {
    return error;
  }
  return undefined;
}
