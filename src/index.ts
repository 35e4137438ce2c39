export type { ReceiveCase, Received, Selected } from "./channel/channel.js";
export { after, Channel, select } from "./channel/channel.js";
export type { CloseInfo, Message } from "./client/client.js";
export { Client } from "./client/client.js";
export { connect } from "./client/connect.js";
export type { ReconnectOptions } from "./client/reconnect.js";
export { reconnect } from "./client/reconnect.js";
export type { ErrorId, ErrorKind, WebSocketErrorOptions } from "./errors/errors.js";
export { ERROR_IDS, errors, WebSocketError } from "./errors/errors.js";
export type { ConnectOptions, Duration, Http2Mode, TlsOptions } from "./options/options.js";
export type { Policy, PolicyUrls } from "./policy/policy.js";
export { policy } from "./policy/policy.js";
export type { CompressionMode } from "./protocol/constants.js";
export {
  BINARY,
  CLOSE_CODES,
  COMPRESSION,
  TEXT,
  TYPE_BINARY,
  TYPE_CLOSE,
  TYPE_PING,
  TYPE_PONG,
  TYPE_TEXT,
} from "./protocol/constants.js";
