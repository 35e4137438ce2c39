/** Message type for `send`: a UTF-8 text message. */
export const TEXT = 1;
/** Message type for `send`: a binary message. */
export const BINARY = 2;

export const TYPE_TEXT = "text";
export const TYPE_BINARY = "binary";
export const TYPE_PING = "ping";
export const TYPE_PONG = "pong";
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

export type CompressionMode = (typeof COMPRESSION)[keyof typeof COMPRESSION];

/** The close codes named by the specification. */
export const CLOSE_CODES = Object.freeze({
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  NO_STATUS: 1005,
  ABNORMAL_CLOSURE: 1006,
  INVALID_PAYLOAD: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
} as const);
