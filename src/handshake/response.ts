import { isToken } from "./headers.js";
/** The server's final answer to the upgrade request, once its header block is complete. */
export interface ParsedResponse {
  readonly kind: "response";
  /** The status code, 100–599. */
  readonly status: number;
  /** The reason phrase, possibly empty. */
  readonly statusText: string;
  /** Header values by lower-case name, trimmed of surrounding whitespace, repeats kept in order. */
  readonly headers: Map<string, string[]>;
  /**
   * Every byte that followed the empty line: the first WebSocket frames. A view of the chunk
   * passed to the last `push`, not a copy.
   */
  readonly rest: Buffer;
  /**
   * The header block itself, as Latin-1 text (one character a byte): one compact string to keep
   * instead of the parsed headers, which `parseHeaderBlock` gives again when asked for.
   */
  readonly text: string;
}

/** A response that cannot be an answer to our request; the connection must be dropped. */
export interface ResponseError {
  readonly kind: "error";
  readonly message: string;
}

/** Default cap on the size of the response's header block, its final empty line included. */
export const DEFAULT_MAX_HEADER_BYTES = 16384;

const CR = 0x0d;
const LF = 0x0a;
const HTAB = 0x09;
const SP = 0x20;
const DEL = 0x7f;

// Where the scanner stands relative to the CRLF CRLF that ends a header block.
/** Inside a line. */
const IN_LINE = 0;
/** Just after the CR that ends a non-empty line. */
const LINE_CR = 1;
/** At the start of a line, just after the previous line's CRLF. */
const LINE_START = 2;
/** After the CR of the empty line. */
const EMPTY_LINE_CR = 3;
/** The empty line is complete: the header block has ended. */
const BLOCK_END = 4;

/** Every status line starts with these bytes; anything else is known to be wrong at once. */
const HTTP_PREFIX = Buffer.from("HTTP/", "latin1");

const STATUS_LINE = /^HTTP\/1\.([01]) ([0-9]{3})(?: (.*))?$/s;

/**
 * ResponseParser reads the server's answer to the upgrade request from bytes fed in chunks of any
 * size, one byte at a time included. It is sans-I/O and never throws: `push` returns undefined
 * while more bytes are needed, then either the parsed response or an error, after which it is
 * finished. Each byte is looked at once: the search for the end of the header block resumes where
 * the previous chunk left it.
 *
 * What it accepts, and why:
 * - Lines end in CRLF. A bare LF or a bare CR fails at once, as in Node 20's own HTTP client (and
 *   so `ws`): RFC 9112 only allows LF-only endings as a MAY, and failing early beats waiting for a
 *   CRLF CRLF that will never come.
 * - The status line is `HTTP/1.1 DDD reason`; the reason may be empty, and so may its space. An
 *   `HTTP/1.0` refusal is accepted so that its status still decides whether a retry makes sense
 *   (an old proxy's 503 stays retryable), but an HTTP/1.0 101 is an error: Upgrade is HTTP/1.1.
 * - Interim 1xx responses other than 101 (100 Continue, 103 Early Hints) are skipped, as RFC 9110
 *   §15.2 asks of clients and as Node's client does; their bytes count toward the size limit.
 * - Header lines are `token ":" value`: no space before the colon (RFC 9112 §5.1), no obs-fold
 *   continuation lines, no control character except HTAB. Values are read as Latin-1.
 * - Control characters, and a block that does not start with "HTTP/", fail as soon as they
 *   arrive, so a peer that does not speak HTTP is noticed without waiting for a timeout.
 * - All header bytes together may not exceed `maxHeaderBytes`; the parser fails on the byte that
 *   makes ending the block within the limit impossible, not when the block finally ends.
 */
export class ResponseParser {
  private readonly maxHeaderBytes: number;
  /** The current header block so far, copied out of the chunks (the caller may reuse them). */
  private block: Buffer;
  private blockLength = 0;
  /** Header bytes consumed across all blocks, interim ones included. */
  private consumed = 0;
  private state = IN_LINE;
  private finished: ResponseError | undefined;

  constructor(maxHeaderBytes = DEFAULT_MAX_HEADER_BYTES) {
    this.maxHeaderBytes = maxHeaderBytes;
    this.block = Buffer.allocUnsafe(Math.max(0, Math.min(maxHeaderBytes, 1024)));
  }

  /** push feeds the next bytes received from the server; see the class comment for the results. */
  push(chunk: Uint8Array): ParsedResponse | ResponseError | undefined {
    if (this.finished !== undefined) return this.finished;
    for (let i = 0; i < chunk.length; i++) {
      const failure = this.step(chunk[i]!);
      if (failure !== undefined) return this.fail(failure);
      if (this.state === BLOCK_END) {
        const block = this.block.subarray(0, this.blockLength);
        const parsed = parseBlock(block);
        if (typeof parsed === "string") return this.fail(parsed);
        this.blockLength = 0;
        this.state = IN_LINE;
        if (parsed.status !== 101 && parsed.status < 200) continue;
        this.finished = { kind: "error", message: "the handshake response was already complete" };
        this.block = Buffer.alloc(0);
        const restStart = chunk.byteOffset + i + 1;
        const rest = Buffer.from(chunk.buffer, restStart, chunk.length - i - 1);
        return { kind: "response", ...parsed, rest, text: block.toString("latin1") };
      }
      if (this.consumed >= this.maxHeaderBytes) {
        return this.fail(
          `the response header block is larger than ${this.maxHeaderBytes} bytes without ending in an empty line`,
        );
      }
    }
    return undefined;
  }

  /** Takes one byte into the block and advances the scan; returns why the byte is refused, if it is. */
  private step(byte: number): string | undefined {
    const position = this.blockLength;
    if (position < HTTP_PREFIX.length && byte !== HTTP_PREFIX[position]) {
      return "the response does not start with an HTTP status line";
    }
    switch (this.state) {
      case LINE_CR:
      case EMPTY_LINE_CR:
        if (byte !== LF) return "a CR in the response header is not followed by LF";
        this.state = this.state === LINE_CR ? LINE_START : BLOCK_END;
        break;
      default:
        if (byte === CR) {
          this.state = this.state === LINE_START ? EMPTY_LINE_CR : LINE_CR;
        } else if (byte === LF) {
          return "a line of the response header ends in a bare LF instead of CRLF";
        } else if ((byte < SP && byte !== HTAB) || byte === DEL) {
          return `the response header contains the control character 0x${byte.toString(16).padStart(2, "0")}`;
        } else {
          this.state = IN_LINE;
        }
    }
    if (this.blockLength === this.block.length) this.grow();
    this.block[this.blockLength++] = byte;
    this.consumed++;
    return undefined;
  }

  /** Doubles the block buffer; the size limit keeps it at most one byte past `maxHeaderBytes`. */
  private grow(): void {
    const grown = Buffer.allocUnsafe(Math.max(64, this.block.length * 2));
    this.block.copy(grown, 0, 0, this.blockLength);
    this.block = grown;
  }

  private fail(message: string): ResponseError {
    this.finished = { kind: "error", message };
    this.block = Buffer.alloc(0);
    return this.finished;
  }
}

/**
 * The status line and headers of a block that `ResponseParser` accepted, from its `text`. Throws
 * for text it did not give (which would be our bug).
 */
export function parseHeaderBlock(text: string): {
  status: number;
  statusText: string;
  headers: Map<string, string[]>;
} {
  const parsed = parseBlock(Buffer.from(text, "latin1"));
  if (typeof parsed === "string") throw new Error(`a header block parsed once no longer parses: ${parsed}`);
  return parsed;
}

/**
 * Header values by lower-case name as a record with no prototype (a header named `__proto__`
 * is a header like any other), as errors and `client.handshake` show them.
 */
export function headerRecord(
  headers: ReadonlyMap<string, readonly string[]>,
): Record<string, readonly string[]> {
  const record: Record<string, readonly string[]> = Object.create(null);
  for (const [name, values] of headers) record[name] = values;
  return record;
}

/** parseBlock reads one complete header block (ending in CRLF CRLF); a string is the reason it is malformed. */
function parseBlock(
  bytes: Buffer,
): { status: number; statusText: string; headers: Map<string, string[]> } | string {
  // The scan guarantees every CR is followed by LF, so splitting on CRLF is exact; the block
  // ends in CRLF CRLF, so the last two pieces are empty.
  const lines = bytes.toString("latin1", 0, bytes.length - 4).split("\r\n");
  const statusLine = lines[0]!;
  const match = STATUS_LINE.exec(statusLine);
  if (match === null) {
    return `the response status line ${JSON.stringify(statusLine)} is not of the form "HTTP/1.1 <3-digit status> <reason>"`;
  }
  const minor = match[1]!;
  const status = Number(match[2]);
  // What is kept (status text, names, values) is decoded afresh from the bytes rather than
  // sliced from the block's text: V8 keeps a slice's whole parent string alive, and a client
  // keeps its handshake for as long as it is open.
  const statusText =
    match[3] === undefined ? "" : latin1(bytes, statusLine.length - match[3].length, statusLine.length);
  if (status < 100 || status > 599) {
    return `the response status ${match[2]} is outside the range 100–599`;
  }
  if (minor === "0" && status < 200) {
    return `an HTTP/1.0 response cannot have the status ${status}; switching protocols needs HTTP/1.1`;
  }
  const headers = new Map<string, string[]>();
  let offset = statusLine.length + 2;
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n]!;
    const at = offset;
    offset += line.length + 2;
    const first = line.charCodeAt(0);
    if (first === SP || first === HTAB) {
      return "the response header contains a folded (obs-fold) continuation line";
    }
    const colon = line.indexOf(":");
    if (colon < 0) {
      return `the response header line ${JSON.stringify(line)} has no colon`;
    }
    const name = line.slice(0, colon);
    if (!isToken(name)) {
      return `the response header name ${JSON.stringify(name)} is not a valid token`;
    }
    const [start, end] = trimWhitespace(line, colon + 1);
    const value = latin1(bytes, at + start, at + end);
    const key = latin1(bytes, at, at + colon).toLowerCase();
    const values = headers.get(key);
    if (values === undefined) headers.set(key, [value]);
    else values.push(value);
  }
  return { status, statusText, headers };
}

/** Where the part of `line` from `start` on begins and ends without leading or trailing SP/HTAB (a loop: a regex could go quadratic). */
function trimWhitespace(line: string, start: number): [number, number] {
  let end = line.length;
  while (start < end && isWhitespace(line.charCodeAt(start))) start++;
  while (end > start && isWhitespace(line.charCodeAt(end - 1))) end--;
  return [start, end];
}

/** Bytes `start` to `end` of the block as a string of its own (latin1: one character a byte, as the block's text). */
function latin1(bytes: Buffer, start: number, end: number): string {
  return bytes.toString("latin1", start, end);
}

function isWhitespace(code: number): boolean {
  return code === SP || code === HTAB;
}
