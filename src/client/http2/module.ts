import type * as Http2 from "node:http2";

/**
 * node:http2, loaded when the first HTTP/2 session is opened rather than when wschan is imported.
 * Loading it (and node:http, which it loads) adds about 0.6 MiB to the heap of a Node 24 process
 * (0.2 MiB on Node 20): memory that a program using HTTP/1.1 only would carry for nothing, and
 * that every full garbage collection would mark again.
 */
let loaded: typeof Http2 | undefined;

export async function loadHttp2(): Promise<typeof Http2> {
  loaded ??= await import("node:http2");
  return loaded;
}

/** HTTP/2 error codes that streams are closed and sessions ended with (RFC 9113 §7). */
export const HTTP2_NO_ERROR = 0x0;
export const HTTP2_CANCEL = 0x8;
