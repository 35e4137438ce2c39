import t from "tap";
import { closeCodeOf } from "../../src/errors/errors.js";
import {
  decodeClosePayload,
  encodeClosePayload,
  isValidCloseCode,
  MAX_CLOSE_REASON_BYTES,
} from "../../src/framing/close.js";

/**
 * The rule of RFC 6455 §7.4.1-2 and the IANA registry, written as plainly as possible: the
 * defined codes that may be sent, plus the range 3000-4999 for libraries and applications.
 */
const SENDABLE = new Set([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014]);
function referenceValid(code: number): boolean {
  return SENDABLE.has(code) || (code >= 3000 && code <= 4999);
}

t.test("RFC 6455 §7.4 isValidCloseCode", async (t) => {
  t.test("agrees with the reference rule for every code from 0 to 5000", async (t) => {
    const disagreements: number[] = [];
    for (let code = 0; code <= 5000; code++) {
      if (isValidCloseCode(code) !== referenceValid(code)) disagreements.push(code);
    }
    t.same(disagreements, []);
  });

  t.test("agrees with the reference rule at the top of the 16-bit range", async (t) => {
    for (const code of [5001, 9999, 65534, 65535]) t.equal(isValidCloseCode(code), false, `code ${code}`);
  });

  t.test(
    "refuses the codes that exist only for reporting (1005, 1006, 1015) and the reserved 1004",
    async (t) => {
      for (const code of [1004, 1005, 1006, 1015]) t.equal(isValidCloseCode(code), false, `code ${code}`);
    },
  );

  t.test("refuses values that are not integers", async (t) => {
    for (const code of [1000.5, Number.NaN, Number.POSITIVE_INFINITY, -1000]) {
      t.equal(isValidCloseCode(code), false, `code ${code}`);
    }
  });
});

t.test("RFC 6455 §5.5.1 decodeClosePayload", async (t) => {
  t.test("an empty payload means no status: code 1005 and no reason", async (t) => {
    t.same(decodeClosePayload(new Uint8Array(0)), { ok: true, code: 1005, reason: "" });
  });

  t.test("a 1-byte payload is a protocol error (1002)", async (t) => {
    const result = decodeClosePayload(Uint8Array.of(0x03));
    t.equal(result.ok, false);
    t.equal(!result.ok && closeCodeOf(result.id), 1002);
  });

  t.test("the code is read big-endian from the first two bytes", async (t) => {
    t.same(decodeClosePayload(Uint8Array.of(0x03, 0xe8)), { ok: true, code: 1000, reason: "" });
    t.same(decodeClosePayload(Uint8Array.of(0x0f, 0x9f)), { ok: true, code: 3999, reason: "" });
    t.same(decodeClosePayload(Uint8Array.of(0x13, 0x87)), { ok: true, code: 4999, reason: "" });
  });

  t.test("every code the reference rule refuses is a protocol error (1002)", async (t) => {
    const wrong: number[] = [];
    for (let code = 0; code <= 0xffff; code++) {
      const result = decodeClosePayload(Uint8Array.of(code >> 8, code & 0xff));
      const expectOk = referenceValid(code);
      const good = expectOk
        ? result.ok && result.code === code && result.reason === ""
        : !result.ok && closeCodeOf(result.id) === 1002;
      if (!good) wrong.push(code);
    }
    t.same(wrong, []);
  });

  t.test("a valid UTF-8 reason is decoded", async (t) => {
    const reason = "fermé — 关闭 🚪";
    const payload = Buffer.concat([Uint8Array.of(0x0f, 0xa0), Buffer.from(reason)]);
    t.same(decodeClosePayload(payload), { ok: true, code: 4000, reason });
  });

  t.test("a reason that is not valid UTF-8 is an invalid payload (1007)", async (t) => {
    for (const bad of [[0xff], [0xc0, 0xaf], [0xed, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]]) {
      const result = decodeClosePayload(Uint8Array.of(0x03, 0xe8, ...bad));
      t.equal(!result.ok && closeCodeOf(result.id), 1007, Buffer.from(bad).toString("hex"));
    }
  });

  t.test("a reason decoded from a view does not read outside the view", async (t) => {
    const backing = Buffer.from([0xff, 0x03, 0xe9, 0x68, 0x69, 0xff]);
    t.same(decodeClosePayload(backing.subarray(1, 5)), { ok: true, code: 1001, reason: "hi" });
  });
});

t.test("encodeClosePayload", async (t) => {
  t.test("1005 encodes as an empty payload", async (t) => {
    t.equal(encodeClosePayload(1005).length, 0);
    t.equal(encodeClosePayload(1005, "ignored").length, 0);
  });

  t.test("a code and reason encode as the big-endian code then the UTF-8 reason", async (t) => {
    t.same([...encodeClosePayload(1000)], [0x03, 0xe8]);
    t.same([...encodeClosePayload(4321, "é!")], [0x10, 0xe1, 0xc3, 0xa9, 0x21]);
  });

  t.test("decode(encode(code, reason)) gives back every valid code with a reason", async (t) => {
    const reasons = ["", "bye", "ünïcødé", "𝄞🎉", "x".repeat(MAX_CLOSE_REASON_BYTES)];
    let checked = 0;
    const wrong: string[] = [];
    for (let code = 0; code <= 5000; code++) {
      if (!referenceValid(code)) continue;
      for (const reason of reasons) {
        checked++;
        const decoded = decodeClosePayload(encodeClosePayload(code, reason));
        if (!(decoded.ok && decoded.code === code && decoded.reason === reason))
          wrong.push(`${code} ${reason}`);
      }
    }
    t.same(wrong, []);
    t.ok(checked > 10_000, `${checked} round trips`);
  });

  t.test("the longest reason fits a control frame beside the code", async (t) => {
    t.equal(MAX_CLOSE_REASON_BYTES, 123);
    t.equal(encodeClosePayload(1000, "€".repeat(41)).length, 125);
  });
});
