/** Message type for `send`: a UTF-8 text message. */
export const TEXT = 1;
/** Message type for `send`: a binary message. */
export const BINARY = 2;

/** `Message.type` of a text message. */
export const TYPE_TEXT = "text";
/** `Message.type` of a binary message. */
export const TYPE_BINARY = "binary";
/** The name of a ping frame's type (pings are answered by the client, never delivered). */
export const TYPE_PING = "ping";
/** The name of a pong frame's type (pongs settle `client.ping()`, never delivered). */
export const TYPE_PONG = "pong";
/** The name of a close frame's type (a close ends the channel; see `client.closed`). */
export const TYPE_CLOSE = "close";

/** permessage-deflate modes for the `compression` option. */
export const COMPRESSION = Object.freeze({
  /** No compression is offered. */
  DISABLED: 0,
  /** Compression with a sliding window kept between messages, both ways. */
  CONTEXT_TAKEOVER: 1,
  /** Compression of each message on its own (no context takeover either way). */
  NO_CONTEXT: 2,
} as const);

/** One of the `COMPRESSION` values: 0 (disabled), 1 (context takeover) or 2 (no context). */
export type CompressionMode = (typeof COMPRESSION)[keyof typeof COMPRESSION];

/** The close codes named by the specification. */
export const CLOSE_CODES = Object.freeze({
  /** 1000: the purpose of the connection was fulfilled. */
  NORMAL: 1000,
  /** 1001: an endpoint is going away (server shutting down, page navigated away). */
  GOING_AWAY: 1001,
  /** 1002: the peer broke the WebSocket protocol. */
  PROTOCOL_ERROR: 1002,
  /** 1003: a message of a type the endpoint cannot accept. */
  UNSUPPORTED_DATA: 1003,
  /** 1005: the Close carried no code (reported only, never sent). */
  NO_STATUS: 1005,
  /** 1006: the connection was lost without a Close (reported only, never sent). */
  ABNORMAL_CLOSURE: 1006,
  /** 1007: a message's data did not match its type (e.g. text that is not UTF-8). */
  INVALID_PAYLOAD: 1007,
  /** 1008: a message broke the endpoint's policy. */
  POLICY_VIOLATION: 1008,
  /** 1009: a message was too big (see `read_limit`). */
  MESSAGE_TOO_BIG: 1009,
  /** 1011: the server hit an unexpected condition. */
  INTERNAL_ERROR: 1011,
  /** 1012: the server is restarting; reconnect later. */
  SERVICE_RESTART: 1012,
  /** 1013: the server is overloaded; try again later. */
  TRY_AGAIN_LATER: 1013,
} as const);

/** The `type` argument of `client.send`: `TEXT` (1) or `BINARY` (2). */
export type SendType = typeof TEXT | typeof BINARY;

/** The codes of 1000–1014 that an endpoint may send (1004–1006 are reserved or report-only). */
export type RegisteredCloseCode =
  | 1000
  | 1001
  | 1002
  | 1003
  | 1007
  | 1008
  | 1009
  | 1010
  | 1011
  | 1012
  | 1013
  | 1014;

type Digit = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
/** 3000–4999 as text: the codes registered with IANA (3xxx) or private to an application (4xxx). */
type ApplicationCloseCodeText = `${3 | 4}${Digit}${Digit}${Digit}`;

/**
 * The close code argument of `client.close`. A literal the type system can see is checked:
 * `close(4000)` compiles, `close(2000)` does not, and its error names the codes allowed. A
 * `number` computed at run time is accepted here and checked when the call runs (INVALID).
 */
export type CloseCode<C extends number = number> = number extends C
  ? number
  : C extends RegisteredCloseCode
    ? C
    : `${C}` extends ApplicationCloseCodeText
      ? C
      : "a close code that can be sent: 1000-1003, 1007-1014 or 3000-4999";
