import { createHash, randomBytes } from "node:crypto";

/** The GUID that RFC 6455 §1.3 appends to the key before hashing it into Sec-WebSocket-Accept. */
export const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** Length in bytes of the nonce behind Sec-WebSocket-Key (RFC 6455 §4.1, item 7). */
const KEY_BYTES = 16;

/**
 * generateKey returns a fresh Sec-WebSocket-Key: 16 random bytes in base64 (24 characters).
 * `random` is the byte source, injectable so tests are deterministic; it defaults to
 * `crypto.randomBytes`. A source that returns the wrong number of bytes is a programming error
 * and throws a RangeError, since a short key would be silently rejected by every server.
 */
export function generateKey(random: (n: number) => Uint8Array = randomBytes): string {
  const bytes = random(KEY_BYTES);
  if (bytes.length !== KEY_BYTES) {
    throw new RangeError(`the random source returned ${bytes.length} bytes instead of ${KEY_BYTES}`);
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("base64");
}

/** acceptFor returns the Sec-WebSocket-Accept value a server must answer to `key`: base64(SHA-1(key + GUID)). */
export function acceptFor(key: string): string {
  return createHash("sha1")
    .update(key + WEBSOCKET_GUID, "latin1")
    .digest("base64");
}
