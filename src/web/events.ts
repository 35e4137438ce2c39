/**
 * The events a `WebSocket` fires, shaped as in the HTML standard. Node 20 has `Event` and
 * `EventTarget` but no `CloseEvent`, and its `MessageEvent` is not typed by @types/node, so the
 * two are defined here with the standard's attributes.
 */

/** The standard's EventInit (not among @types/node's globals). */
export interface EventInit {
  readonly bubbles?: boolean;
  readonly cancelable?: boolean;
  readonly composed?: boolean;
}

/** What `new MessageEvent(type, init)` takes. */
export interface MessageEventInit<T = unknown> extends EventInit {
  readonly data?: T;
  readonly origin?: string;
  readonly lastEventId?: string;
}

/** A message received: `data` is a string for text, and a Blob, ArrayBuffer or Buffer for binary (per `binaryType`). */
export class MessageEvent<T = unknown> extends Event {
  readonly data: T;
  /** The origin of the WebSocket's URL, serialized (for example `ws://127.0.0.1:8080`). */
  readonly origin: string;
  readonly lastEventId: string;
  readonly source: null = null;
  readonly ports: readonly never[] = [];

  constructor(type: string, init: MessageEventInit<T> = {}) {
    super(type, {
      bubbles: init.bubbles ?? false,
      cancelable: init.cancelable ?? false,
      composed: init.composed ?? false,
    });
    this.data = init.data as T;
    this.origin = init.origin ?? "";
    this.lastEventId = init.lastEventId ?? "";
  }
}

/** What `new CloseEvent(type, init)` takes. */
export interface CloseEventInit extends EventInit {
  readonly wasClean?: boolean;
  readonly code?: number;
  readonly reason?: string;
}

/** How the connection ended. */
export class CloseEvent extends Event {
  /** Whether the closing handshake completed. */
  readonly wasClean: boolean;
  /** The code of the peer's Close (1005 when it had none), or 1006 when the connection ended without one. */
  readonly code: number;
  readonly reason: string;

  constructor(type: string, init: CloseEventInit = {}) {
    super(type, {
      bubbles: init.bubbles ?? false,
      cancelable: init.cancelable ?? false,
      composed: init.composed ?? false,
    });
    this.wasClean = init.wasClean ?? false;
    this.code = init.code ?? 0;
    this.reason = init.reason ?? "";
  }
}

/** What `new ErrorEvent(type, init)` takes. */
export interface ErrorEventInit extends EventInit {
  readonly message?: string;
  readonly error?: unknown;
}

/**
 * The `error` event. Browsers fire a plain Event and say nothing of the cause; here the event also
 * carries the wschan `WebSocketError` that failed the connection, in `error`, as undici and ws do.
 */
export class ErrorEvent extends Event {
  readonly message: string;
  readonly error: unknown;

  constructor(type: string, init: ErrorEventInit = {}) {
    super(type, {
      bubbles: init.bubbles ?? false,
      cancelable: init.cancelable ?? false,
      composed: init.composed ?? false,
    });
    this.message = init.message ?? "";
    this.error = init.error;
  }
}
