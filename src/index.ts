export type {
  CaseValue,
  Chan,
  ReceiveCase,
  Received,
  Selected,
  SelectResult,
  Timer,
} from "./channel/channel.js";
export { after, Channel, chan, select, timer } from "./channel/channel.js";
export type { ClientStats, CloseInfo, HandshakeResponse, Message } from "./client/client.js";
export { Client } from "./client/client.js";
export { connect } from "./client/connect.js";
export type { DiagnosticsEvents, DialPhase, MessageEvent } from "./client/diagnostics.js";
export { DIAGNOSTICS_CHANNELS, observe } from "./client/diagnostics.js";
export type { ReconnectOptions } from "./client/reconnect.js";
export { reconnect } from "./client/reconnect.js";
export type {
  DialAttempt,
  ErrorId,
  ErrorKind,
  HttpResponse,
  WebSocketErrorOptions,
} from "./errors/errors.js";
export { ERROR_IDS, errors, WebSocketError } from "./errors/errors.js";
export type { LookupOption, NetworkOptions } from "./options/network.js";
export type { ConnectOptions, Duration, Http2Mode, TlsOptions } from "./options/options.js";
export type { Policy, PolicyUrls } from "./policy/policy.js";
export { policy } from "./policy/policy.js";
export type { CloseCode, CompressionMode, RegisteredCloseCode, SendType } from "./protocol/constants.js";
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
export type { EngineStats } from "./protocol/types.js";
