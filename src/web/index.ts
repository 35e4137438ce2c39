export type { CloseEventInit, ErrorEventInit, EventInit, MessageEventInit } from "./events.js";
export { CloseEvent, ErrorEvent, MessageEvent } from "./events.js";
export type { WebSocketInit } from "./options.js";
export type {
  WebSocketChunk,
  WebSocketCloseInfo,
  WebSocketOpenInfo,
  WebSocketStreamOptions,
} from "./stream.js";
export { WebSocketError, WebSocketStream } from "./stream.js";
export type { BinaryType, Handler, WebSocketData } from "./websocket.js";
export { WebSocket } from "./websocket.js";
