import type { ErrorId } from "../errors/errors.js";
import { isUtf8 } from "./utf8.js";

/**
 * Whether `code` may appear in a Close frame on the wire (RFC 6455 §7.4, IANA registry):
 * 1000–1003 and 1007–1014 are defined, 3000–4999 belong to libraries and applications.
 * 1004 is reserved, 1005/1006/1015 are for reporting only, the rest of 1000–2999 is unassigned.
 */
export function isValidCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false;
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006;
}

/** The largest reason that fits a control frame beside the 2-byte code. */
export const MAX_CLOSE_REASON_BYTES = 123;

export type ClosePayload =
  | { readonly ok: true; readonly code: number; readonly reason: string }
  | { readonly ok: false; readonly id: ErrorId; readonly message: string };

/** Decodes and checks the payload of a received Close frame. An empty payload means "no status" (1005). */
export function decodeClosePayload(payload: Uint8Array): ClosePayload {
  if (payload.length === 0) return { ok: true, code: 1005, reason: "" };
  if (payload.length === 1) {
    return { ok: false, id: "PROTOCOL_ERROR", message: "close frame with a 1-byte payload" };
  }
  const code = (payload[0]! << 8) | payload[1]!;
  if (!isValidCloseCode(code)) {
    return { ok: false, id: "PROTOCOL_ERROR", message: `close frame with invalid code ${code}` };
  }
  const reasonBytes = payload.subarray(2);
  if (!isUtf8(reasonBytes)) {
    return { ok: false, id: "INVALID_UTF8", message: "close frame reason is not valid UTF-8" };
  }
  return { ok: true, code, reason: Buffer.from(reasonBytes).toString("utf8") };
}

/** The payload of a Close frame we send: nothing for 1005, otherwise the code and the reason. */
export function encodeClosePayload(code: number, reason = ""): Buffer {
  if (code === 1005) return Buffer.alloc(0);
  const reasonLength = Buffer.byteLength(reason);
  const out = Buffer.allocUnsafe(2 + reasonLength);
  out.writeUInt16BE(code, 0);
  out.write(reason, 2, "utf8");
  return out;
}
