import { channel } from "node:diagnostics_channel";
import { debuglog } from "node:util";
import type { WebSocketError } from "../errors/errors.js";
import type { Client } from "./client.js";

/** A phase of a dial, as `wschan:dial:phase` reports it. */
export type DialPhase = "dns" | "tcp" | "proxy" | "tls" | "upgrade";

/** The message each diagnostics channel publishes, by channel name. */
export interface DiagnosticsEvents {
  readonly "wschan:dial:start": { readonly url: string };
  readonly "wschan:dial:phase": { readonly url: string; readonly phase: DialPhase; readonly ms: number };
  readonly "wschan:dial:error": { readonly url: string; readonly error: WebSocketError };
  readonly "wschan:open": {
    readonly client: Client;
    readonly url: string;
    readonly protocol: string;
    readonly extensions: string;
    /** How long the whole dial took, in milliseconds. */
    readonly ms: number;
  };
  readonly "wschan:message:in": MessageEvent;
  readonly "wschan:message:out": MessageEvent;
  readonly "wschan:pong": { readonly client: Client; readonly rtt: number };
  readonly "wschan:close": {
    readonly client: Client;
    readonly code: number;
    readonly reason: string;
    readonly clean: boolean;
    readonly error: WebSocketError | undefined;
  };
}

/** A data message in or out: `size` its payload bytes, `compressedSize` as on the wire. */
export interface MessageEvent {
  readonly client: Client;
  readonly type: "text" | "binary";
  readonly size: number;
  readonly compressedSize: number;
}

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
export const DIAGNOSTICS_CHANNELS = Object.freeze(
  Object.values(diagnostics).map((c) => String(c.name) as keyof DiagnosticsEvents),
);

/**
 * Subscribes `listener` to one diagnostics channel, with its message typed; returns the function
 * that unsubscribes it. (Subscribing with `node:diagnostics_channel` directly works the same.)
 */
export function observe<K extends keyof DiagnosticsEvents>(
  name: K,
  listener: (event: DiagnosticsEvents[K]) => void,
): () => void {
  const c = channel(name);
  const wrapped = (message: unknown): void => listener(message as DiagnosticsEvents[K]);
  c.subscribe(wrapped);
  return () => {
    c.unsubscribe(wrapped);
  };
}

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
