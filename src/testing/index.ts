export type {
  ConnectionBehaviour,
  TestClose,
  TestCloseInfo,
  TestMessage,
  TestRequest,
} from "./connection.js";
export { TestConnection } from "./connection.js";
export type { ClientFrame, FrameInit } from "./frames.js";
export { closePayload, frame } from "./frames.js";
export type { AcceptOptions, RefuseOptions, TestServerOptions } from "./server.js";
export { TestServer } from "./server.js";
export type { Duration } from "./time.js";
export { delay } from "./time.js";
