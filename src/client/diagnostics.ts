import { channel } from "node:diagnostics_channel";
import { debuglog } from "node:util";

/**
 * The `node:diagnostics_channel` channels wschan publishes on, by documented name. Publishing
 * costs one `hasSubscribers` check when nobody listens.
 */
export const diagnostics = Object.freeze({
  /** A dial starts: `{ url }`. */
  dialStart: channel("wschan:dial:start"),
  /** A dial phase completed: `{ url, phase: "dns" | "tcp" | "proxy" | "tls" | "upgrade", ms }`. */
  dialPhase: channel("wschan:dial:phase"),
  /** A dial failed: `{ url, error }`. */
  dialError: channel("wschan:dial:error"),
  /** A connection opened: `{ client, url, protocol, extensions, ms }` (ms: the whole dial). */
  open: channel("wschan:open"),
  /** A data message arrived: `{ client, type, size, compressedSize }` (compressedSize: on the wire; equal to size when not compressed). */
  messageIn: channel("wschan:message:in"),
  /** A data message was queued to be written: `{ client, type, size, compressedSize }`. */
  messageOut: channel("wschan:message:out"),
  /** A pong answered one of our pings (the application's or keep-alive's): `{ client, rtt }` in ms. */
  pong: channel("wschan:pong"),
  /** A connection ended: `{ client, code, reason, clean, error }`. */
  close: channel("wschan:close"),
});

/** The names, for the README and for subscribers that list them. */
export const DIAGNOSTICS_CHANNELS = Object.freeze(Object.values(diagnostics).map((c) => String(c.name)));

const log = debuglog("wschan");

/** With NODE_DEBUG=wschan, one concise line per event on stderr. */
if (log.enabled) {
  const describe = (name: string, event: Record<string, unknown>): string =>
    Object.entries(event)
      .filter(([key]) => key !== "client")
      .map(([key, value]) =>
        value instanceof Error
          ? `${key}=${(value as { id?: string }).id ?? value.name}: ${value.message}`
          : `${key}=${String(value)}`,
      )
      .reduce((line, part) => `${line} ${part}`, name.slice("wschan:".length));
  for (const c of Object.values(diagnostics)) {
    c.subscribe((event) => log("%s", describe(String(c.name), event as Record<string, unknown>)));
  }
}
