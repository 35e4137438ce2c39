import { WebSocketError } from "../../src/errors/errors.js";

/** The WebSocketError `fn` throws; throws (failing the test) when it throws nothing or something else. */
export function thrown(fn: () => unknown): WebSocketError {
  try {
    fn();
  } catch (error) {
    if (error instanceof WebSocketError) return error;
    throw new Error(`threw ${String(error)} rather than a WebSocketError`);
  }
  throw new Error("did not throw");
}

/** Runs `fn` with `fields` set on Object.prototype, always removing them afterwards. */
export function polluted<T>(fields: Record<string, unknown>, fn: () => T): T {
  const proto = Object.prototype as Record<string, unknown>;
  for (const [key, value] of Object.entries(fields)) proto[key] = value;
  try {
    return fn();
  } finally {
    for (const key of Object.keys(fields)) delete proto[key];
  }
}
