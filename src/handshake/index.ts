export { checkProtocols, checkUserHeaders, isToken } from "./headers.js";
export { acceptFor, generateKey, WEBSOCKET_GUID } from "./key.js";
export type { RequestInput } from "./request.js";
export { basicCredentials, buildRequest } from "./request.js";
export type { ParsedResponse, ResponseError } from "./response.js";
export { DEFAULT_MAX_HEADER_BYTES, ResponseParser } from "./response.js";
export type { HandshakeOffer, HandshakeOutcome } from "./validate.js";
export { validateResponse } from "./validate.js";
