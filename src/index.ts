export type { ReceiveCase, Received, Selected } from "./client/channel.js";
export { after, Channel, select } from "./client/channel.js";
export type { CloseInfo, Message } from "./client/client.js";
export { Client } from "./client/client.js";
export { connect } from "./client/connect.js";
export type { CompressionMode } from "./client/constants.js";
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
} from "./client/constants.js";
export type { ErrorKind, WebSocketErrorOptions } from "./client/errors.js";
export { errors, WebSocketError } from "./client/errors.js";
export type { ConnectOptions, Duration, TlsOptions } from "./client/options.js";
export type { Policy, PolicyUrls } from "./client/policy.js";
export { policy } from "./client/policy.js";
export type { ReconnectOptions } from "./client/reconnect.js";
export { reconnect } from "./client/reconnect.js";
