import { invalid } from "../errors/errors.js";
import type { ConnectOptions } from "../options/options.js";
import { resolveOptions } from "../options/options.js";

/** wschan's `connect` options given to `new WebSocket(url, init)`: every option, `protocols` included. */
export type WebSocketInit = ConnectOptions;

/** Whether the second argument of the constructor is wschan's options rather than the protocols. */
export function isInit(value: unknown): value is WebSocketInit {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(Symbol.iterator in value);
}

/**
 * Joins the connect options from the constructor's arguments and checks them at once, so that a
 * bad option throws INVALID from the constructor instead of surfacing later as an error event.
 */
export function joinOptions(
  base: ConnectOptions | undefined,
  extra: ConnectOptions | undefined,
  protocols: readonly string[] | undefined,
): ConnectOptions {
  const joined: ConnectOptions = { ...base, ...extra };
  if (protocols !== undefined) {
    // Protocols from `WebSocket.configure` give way to the argument; the same call giving both is a mistake.
    if (extra?.protocols !== undefined) {
      throw invalid("protocols are given both as an argument and in the options: give them once");
    }
    Object.assign(joined, { protocols });
  }
  resolveOptions(joined);
  return joined;
}
