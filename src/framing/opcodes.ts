/** RFC 6455 §5.2 opcodes. */
export const OP_CONTINUATION = 0x0;
export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

export type DataOpcode = typeof OP_TEXT | typeof OP_BINARY;

/** Control frames carry at most this many payload bytes (§5.5). */
export const MAX_CONTROL_PAYLOAD = 125;

/** Close codes the parser itself produces. */
export const CLOSE_PROTOCOL_ERROR = 1002;
export const CLOSE_INVALID_PAYLOAD = 1007;
export const CLOSE_MESSAGE_TOO_BIG = 1009;
