import t from "tap";
import { acceptFor, generateKey } from "../../src/handshake/index.js";

t.test("acceptFor matches the example of RFC 6455 section 1.3", async (t) => {
  t.equal(acceptFor("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
});

t.test("generateKey encodes 16 bytes from the injected source in base64", async (t) => {
  const requested: number[] = [];
  const key = generateKey((n) => {
    requested.push(n);
    return Uint8Array.from({ length: n }, (_, i) => i);
  });
  t.same(requested, [16]);
  t.equal(key, Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]).toString("base64"));
  t.equal(key, "AAECAwQFBgcICQoLDA0ODw==");
});

t.test("generateKey reproduces the RFC's sample nonce when fed its bytes", async (t) => {
  const nonce = Buffer.from("the sample nonce", "latin1");
  t.equal(
    generateKey(() => nonce),
    "dGhlIHNhbXBsZSBub25jZQ==",
  );
});

t.test("generateKey by default returns a fresh 24-character key decoding to 16 bytes", async (t) => {
  const a = generateKey();
  const b = generateKey();
  t.equal(a.length, 24);
  t.equal(Buffer.from(a, "base64").length, 16);
  t.not(a, b);
});

t.test("generateKey refuses a source that returns the wrong number of bytes", async (t) => {
  t.throws(() => generateKey(() => new Uint8Array(8)), RangeError);
});
