import t from "tap";
import { checkUrl, compilePolicy, policy, policyLayers } from "../../src/policy/policy.js";
import { polluted, thrown } from "../helpers/pollution.js";

t.test("a polluted Object.prototype adds no rule and lifts none", async (t) => {
  const narrowing = polluted(
    {
      connect: false,
      private_networks: false,
      urls: { allow: ["wss://only.example/"] },
      allow: [],
      deny: ["ws://*"],
    },
    () => compilePolicy({}, "options.policy"),
  );
  t.same(narrowing.view, { connect: true, urls: { deny: [] }, private_networks: true });
  t.doesNotThrow(() => checkUrl(policyLayers(narrowing), new URL("ws://127.0.0.1:1/")));
  const strict = polluted({ allow: undefined, deny: [] }, () =>
    compilePolicy({ urls: { deny: ["ws://evil.example"] } }, "options.policy"),
  );
  t.equal(strict.deny.length, 1, "the deny list given is kept");
  t.equal(strict.allow, undefined);
  polluted({ connect: false, private_networks: false }, () => {
    policy.set({});
    try {
      t.same(policy.get(), { connect: true, urls: { deny: [] }, private_networks: true });
    } finally {
      policy.reset();
    }
  });
});

t.test("a hole in a pattern list is refused, never read through the prototype", async (t) => {
  const proto = Array.prototype as unknown as Record<string, unknown>;
  proto[0] = "ws://*";
  try {
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    const error = thrown(() => compilePolicy({ urls: { allow: [, "wss://a.example"] } }, "options.policy"));
    t.equal(error.id, "INVALID_OPTION");
  } finally {
    delete proto[0];
  }
});

t.test("a compiled policy shares nothing with the caller's objects", async (t) => {
  const deny = ["ws://evil.example"];
  const compiled = compilePolicy({ urls: { deny } }, "options.policy");
  deny.length = 0;
  const error = thrown(() => checkUrl([compiled], new URL("ws://evil.example/")));
  t.equal(error.kind, "PERMISSION_DENIED", "the pattern given at compile time still denies");
});

t.test("unknown policy fields suggest the one meant; ids tell an option from an argument", async (t) => {
  const option = thrown(() => compilePolicy({ privateNetworks: false }, "options.policy"));
  t.equal(option.id, "INVALID_OPTION");
  t.match(option.message, 'did you mean "private_networks"');
  const argument = thrown(() => policy.set({ urls: { alow: [] } } as never));
  t.equal(argument.id, "INVALID_ARGUMENT");
  t.match(argument.message, 'did you mean "urls.allow"');
});
