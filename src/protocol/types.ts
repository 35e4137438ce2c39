import type { WebSocketError } from "../errors/errors.js";

/** A received message: text as a string, binary as a Buffer. */
export type Message =
  | { readonly type: "text"; readonly data: string }
  | { readonly type: "binary"; readonly data: Buffer };

/** How a connection ended. */
export interface CloseInfo {
  /** The close code received from the peer (1005 when its Close had none), the code we failed with, or 1006 when the connection was lost. */
  readonly code: number;
  /** The close reason received from the peer (or the one we failed with), "" when none. */
  readonly reason: string;
  /** Whether the closing handshake completed: both Close frames exchanged. */
  readonly clean: boolean;
  /** What went wrong, when the connection did not end with a closing handshake the peer asked for or agreed to. */
  readonly error?: WebSocketError;
}

/**
 * The engine's state, after RFC 6455 §7: OPEN until a Close is sent or received; CLOSING while the
 * closing handshake (or a failure) runs its course; CLOSED once the transport has closed.
 */
export type EngineState = "OPEN" | "CLOSING" | "CLOSED";

/** The masking keys the engine draws from: a block of random bytes and the next offset in it. */
export interface MaskSource {
  readonly bytes: Uint8Array;
  next(): number;
}

/** Everything the engine is told once; durations in milliseconds, 0 meaning none. */
export interface EngineConfig {
  /** Largest incoming message, after decompression, in bytes. */
  readonly readLimit: number;
  /** The permessage-deflate parameters agreed, when compression was negotiated. */
  readonly deflate?:
    | {
        readonly serverMaxWindowBits: number;
        readonly serverNoContextTakeover: boolean;
        readonly clientMaxWindowBits: number;
        readonly clientNoContextTakeover: boolean;
      }
    | undefined;
  /** Whether our own deflater keeps no context between messages (NO_CONTEXT was asked for). */
  readonly deflateNoContext: boolean;
  /** Messages smaller than this are sent uncompressed. */
  readonly compressionThreshold: number;
  /** Messages the application may leave unread before reading stops. */
  readonly channelCapacity: number;
  /** Bytes of messages the application may leave unread before reading stops. */
  readonly channelBytes: number;
  /** Bytes that may wait to be written (queued frames and the write under way) before the connection fails. */
  readonly writeLimit: number;
  readonly readTimeout: number;
  readonly writeTimeout: number;
  readonly keepalive: number;
  readonly keepaliveTimeout: number;
  /** How long `ping()` waits for its pong. */
  readonly pingTimeout: number;
  /** How long to wait for the peer's Close after sending ours (§7.1.1). */
  readonly closeTimeout: number;
  /** How long to wait, after both Close frames, for the server to end TCP first (§7.1.1). */
  readonly tcpEndTimeout: number;
  /** How long a Close or a failure may wait behind messages the application has not taken yet. */
  readonly terminalGrace: number;
  /** Where masking keys come from; tests inject a fixed one. Default: a pooled CSPRNG block. */
  readonly masks?: MaskSource;
}

/** A (de)compression that runs off the engine; the host feeds its outcome back. */
export interface CodecJob {
  readonly work: Promise<Buffer>;
}

/**
 * What the engine asks of the I/O around it. Calls happen synchronously inside the engine's
 * inputs. `T` is the host's token for an operation awaiting an outcome (a send, a ping).
 */
export interface EngineHost<T> {
  /**
   * A message for the application: `size` its payload bytes, `wireSize` its payload bytes on the
   * wire (smaller when it came compressed). Returns whether it was left waiting (false: a receiver
   * took it at once).
   */
  message(message: Message, size: number, wireSize: number): boolean;
  /** A data message was queued to be written: `size` its payload bytes, `wireSize` as framed (compressed). */
  sent(type: "text" | "binary", size: number, wireSize: number): void;
  /** A pong answered one of our pings (ours or keep-alive's) after `rtt` milliseconds. */
  pong(rtt: number): void;
  /** Frames wait in the outbox: call `takeOutput` when the transport can take more. */
  output(): void;
  /** The outcome of a send (written to the transport, or failed) or of a ping (its pong came, or not). */
  settle(token: T, error: WebSocketError | undefined): void;
  /** Reading should stop (false) or may go on (true): the transport's flow control. */
  reading(on: boolean): void;
  /** The parser holds bytes it stopped at: call `resume` soon, outside the current call. */
  resumeSoon(): void;
  /** Run this job and feed its outcome back with `jobDone`. */
  job(job: CodecJob): void;
  /** Call `tick` at time `at` (or sooner); replaces any later request. */
  wake(at: number): void;
  /** End the transport: "end" after what is written, "destroy" at once. */
  shutdown(how: "end" | "destroy"): void;
  /** The connection is over: how it ended. Messages may still follow, until `ended`. */
  closed(info: CloseInfo): void;
  /** No message will follow. */
  ended(): void;
}

/** What an engine has counted since the connection opened. */
export interface EngineStats {
  /** Data messages received and sent. */
  readonly messagesIn: number;
  readonly messagesOut: number;
  /** Bytes read from and written to the transport: frames, headers and control frames included. */
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Payload bytes of data messages, after decompression (in) and before compression (out). */
  readonly payloadBytesIn: number;
  readonly payloadBytesOut: number;
  /** Payload bytes of data messages as they were on the wire. */
  readonly wirePayloadBytesIn: number;
  readonly wirePayloadBytesOut: number;
  /** The round trip of the last ping answered, in milliseconds; undefined before any. */
  readonly lastRtt: number | undefined;
}
