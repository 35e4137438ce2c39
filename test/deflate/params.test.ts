import t from "tap";
import { buildOffer, type DeflateParams, parseAgreement, parseExtensions } from "../../src/deflate/params.js";

/** The parameters when the server accepts the bare offer: both windows 15, context kept both ways. */
const BARE: DeflateParams = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

function agreed(changes: Partial<DeflateParams>): DeflateParams {
  return { ...BARE, ...changes };
}

const WINDOWS = [8, 9, 10, 11, 12, 13, 14, 15];

t.test("buildOffer", async (t) => {
  t.test("offers context takeover both ways and lets the server shrink our window", async (t) => {
    t.equal(buildOffer("context-takeover"), "permessage-deflate; client_max_window_bits");
  });

  t.test("offers no context takeover either way in no-context mode", async (t) => {
    t.equal(
      buildOffer("no-context"),
      "permessage-deflate; client_no_context_takeover; server_no_context_takeover; client_max_window_bits",
    );
  });

  t.test("both offers are well-formed extension lists with one permessage-deflate", async (t) => {
    t.same(parseExtensions(buildOffer("context-takeover")), [
      { name: "permessage-deflate", params: [["client_max_window_bits", undefined]] },
    ]);
    t.same(parseExtensions(buildOffer("no-context")), [
      {
        name: "permessage-deflate",
        params: [
          ["client_no_context_takeover", undefined],
          ["server_no_context_takeover", undefined],
          ["client_max_window_bits", undefined],
        ],
      },
    ]);
  });
});

t.test("parseAgreement accepts every valid answer", async (t) => {
  const valid: [string, string, DeflateParams | undefined][] = [
    ["an empty header: the server declined compression", "", undefined],
    ["a header of blanks only: the server declined compression", "  \t ", undefined],
    ["the bare extension", "permessage-deflate", BARE],
    [
      "server_no_context_takeover alone",
      "permessage-deflate; server_no_context_takeover",
      agreed({ serverNoContextTakeover: true }),
    ],
    [
      "client_no_context_takeover alone",
      "permessage-deflate; client_no_context_takeover",
      agreed({ clientNoContextTakeover: true }),
    ],
    [
      "both no_context_takeover flags",
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
      agreed({ serverNoContextTakeover: true, clientNoContextTakeover: true }),
    ],
    [
      "both no_context_takeover flags in the other order",
      "permessage-deflate; client_no_context_takeover; server_no_context_takeover",
      agreed({ serverNoContextTakeover: true, clientNoContextTakeover: true }),
    ],
    [
      "every parameter at once",
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12",
      {
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 10,
        clientMaxWindowBits: 12,
      },
    ],
    [
      "both window sizes, the smallest",
      "permessage-deflate; client_max_window_bits=8; server_max_window_bits=8",
      agreed({ serverMaxWindowBits: 8, clientMaxWindowBits: 8 }),
    ],
    [
      "a window size with a flag after it",
      "permessage-deflate; server_max_window_bits=9; server_no_context_takeover",
      agreed({ serverMaxWindowBits: 9, serverNoContextTakeover: true }),
    ],
    [
      "a quoted server window",
      'permessage-deflate; server_max_window_bits="10"',
      agreed({ serverMaxWindowBits: 10 }),
    ],
    [
      "a quoted client window",
      'permessage-deflate; client_max_window_bits="8"',
      agreed({ clientMaxWindowBits: 8 }),
    ],
    [
      "a quoted value with a quoted-pair",
      'permessage-deflate; client_max_window_bits="1\\1"',
      agreed({ clientMaxWindowBits: 11 }),
    ],
    ["an upper-case extension name", "PERMESSAGE-DEFLATE", BARE],
    [
      "mixed-case parameter names",
      "Permessage-Deflate; Server_No_Context_Takeover; CLIENT_MAX_WINDOW_BITS=9",
      agreed({ serverNoContextTakeover: true, clientMaxWindowBits: 9 }),
    ],
    [
      "no blanks around the separators",
      "permessage-deflate;client_no_context_takeover;server_max_window_bits=11",
      agreed({ clientNoContextTakeover: true, serverMaxWindowBits: 11 }),
    ],
    [
      "extra spaces and tabs everywhere",
      " \tpermessage-deflate \t;\t server_no_context_takeover  ;  client_max_window_bits = 13 \t",
      agreed({ serverNoContextTakeover: true, clientMaxWindowBits: 13 }),
    ],
  ];
  for (const bits of WINDOWS) {
    valid.push([
      `server_max_window_bits=${bits}`,
      `permessage-deflate; server_max_window_bits=${bits}`,
      agreed({ serverMaxWindowBits: bits }),
    ]);
    valid.push([
      `client_max_window_bits=${bits}`,
      `permessage-deflate; client_max_window_bits=${bits}`,
      agreed({ clientMaxWindowBits: bits }),
    ]);
    valid.push([
      `server_max_window_bits=${bits} with client_max_window_bits=${23 - bits}`,
      `permessage-deflate; server_max_window_bits=${bits}; client_max_window_bits=${23 - bits}`,
      agreed({ serverMaxWindowBits: bits, clientMaxWindowBits: 23 - bits }),
    ]);
  }

  for (const [name, header, params] of valid) {
    t.test(`accepts ${name}`, async (t) => {
      const result = parseAgreement(header);
      t.same(result, { ok: true, params }, JSON.stringify(header));
    });
  }
});

t.test("parseAgreement rejects every invalid answer", async (t) => {
  const invalid: [string, string][] = [
    ["an unknown parameter", "permessage-deflate; x_unknown"],
    ["an unknown parameter with a value", "permessage-deflate; mem_level=8"],
    [
      "a repeated server_no_context_takeover",
      "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
    ],
    [
      "a repeated client_no_context_takeover",
      "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
    ],
    [
      "a repeated server_max_window_bits",
      "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
    ],
    [
      "a repeated client_max_window_bits",
      "permessage-deflate; client_max_window_bits=10; client_max_window_bits=12",
    ],
    [
      "a parameter repeated in another case",
      "permessage-deflate; server_no_context_takeover; SERVER_NO_CONTEXT_TAKEOVER",
    ],
    ["a value on server_no_context_takeover", "permessage-deflate; server_no_context_takeover=1"],
    ["a value on client_no_context_takeover", "permessage-deflate; client_no_context_takeover=true"],
    ["a quoted value on a flag", 'permessage-deflate; server_no_context_takeover="1"'],
    ["server_max_window_bits without a value", "permessage-deflate; server_max_window_bits"],
    ["client_max_window_bits without a value", "permessage-deflate; client_max_window_bits"],
    ["an empty server_max_window_bits", "permessage-deflate; server_max_window_bits="],
    [
      "an empty client_max_window_bits before another parameter",
      "permessage-deflate; client_max_window_bits=; server_no_context_takeover",
    ],
    ["an empty quoted window", 'permessage-deflate; server_max_window_bits=""'],
    ["an extension not offered", "x-webkit-deflate-frame"],
    ["an extension not offered, with parameters", "x-webkit-deflate-frame; no_context_takeover"],
    ["permessage-deflate twice", "permessage-deflate, permessage-deflate"],
    [
      "permessage-deflate twice with different parameters",
      "permessage-deflate; server_no_context_takeover, permessage-deflate",
    ],
    ["permessage-deflate and another extension", "permessage-deflate, x-webkit-deflate-frame"],
    ["another extension and permessage-deflate", "x-webkit-deflate-frame, permessage-deflate"],
    ["a parameter list with nothing after the semicolon", "permessage-deflate;"],
    ["a lone semicolon", ";"],
    ["a lone comma", ","],
    ["a parameter with no name", "permessage-deflate; =1"],
    ["an unterminated quoted value", 'permessage-deflate; server_max_window_bits="10'],
    [
      "an unterminated quoted value ending in a backslash",
      'permessage-deflate; server_max_window_bits="10\\',
    ],
    ["a trailing comma", "permessage-deflate,"],
    ["a trailing comma and a blank", "permessage-deflate, "],
    ["a leading comma", ", permessage-deflate"],
    [
      "two parameters without a semicolon",
      "permessage-deflate; server_no_context_takeover client_no_context_takeover",
    ],
    ["a parameter without a semicolon", "permessage-deflate server_no_context_takeover"],
    ["a window value with a space inside quotes", 'permessage-deflate; server_max_window_bits="1 0"'],
    ["a window value followed by junk", "permessage-deflate; server_max_window_bits=10 x"],
    ["a separator character in the extension name", "permessage-deflate/1"],
  ];
  const badWindows = ["7", "16", "0", "08", "1.5", "-8", "+9", "0x9", "15.0", "9a", "100", "1e1"];
  for (const key of ["server_max_window_bits", "client_max_window_bits"]) {
    for (const value of badWindows) {
      invalid.push([`${key}=${value}`, `permessage-deflate; ${key}=${value}`]);
      invalid.push([`${key}="${value}" (quoted)`, `permessage-deflate; ${key}="${value}"`]);
    }
  }

  for (const [name, header] of invalid) {
    t.test(`rejects ${name}`, async (t) => {
      const result = parseAgreement(header);
      t.equal(result.ok, false, JSON.stringify(header));
      if (!result.ok) t.type(result.message, "string");
      if (!result.ok) t.not(result.message, "", "says why");
    });
  }
});

t.test("parseAgreement names the reason in its message", async (t) => {
  const reasons: [string, RegExp][] = [
    ["permessage-deflate; foo", /unknown.*foo/],
    ["permessage-deflate; server_no_context_takeover; server_no_context_takeover", /repeated/],
    ["permessage-deflate; server_max_window_bits=16", /8 to 15/],
    ["permessage-deflate; client_no_context_takeover=1", /no value/],
    ["x-webkit-deflate-frame", /did not offer/],
  ];
  for (const [header, reason] of reasons) {
    const result = parseAgreement(header);
    t.match(result, { ok: false, message: reason }, header);
  }
});
