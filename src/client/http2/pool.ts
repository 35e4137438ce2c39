import type * as http2 from "node:http2";
import type * as net from "node:net";
import type { Duplex } from "node:stream";
import { failure, WebSocketError } from "../../errors/errors.js";
import type { ResolvedOptions } from "../../options/options.js";
import type { Target } from "../../options/url.js";
import { type CompiledPolicy, checkAddress } from "../../policy/policy.js";
import { authority } from "../../routes/proxy.js";
import { clock } from "../clock.js";
import { DialDeadline } from "../deadline.js";
import { type DialIO, dial } from "../dial.js";
import { type Bounds, bounded } from "./bounded.js";
import { HTTP2_NO_ERROR, loadHttp2 } from "./module.js";
import { type Secured, secureContext, secureH2 } from "./tls.js";

/**
 * The HTTP/2 sessions shared by WebSocket connections (RFC 8441 §3): one pool per process, keyed
 * by origin, route and TLS options (`sessionKey`). A session takes streams up to the server's
 * SETTINGS_MAX_CONCURRENT_STREAMS, then another session is opened; a session closes as soon as
 * its last stream has ended; a session that goes away (GOAWAY, an error, its socket closing)
 * leaves the pool at once, and its streams still open fail with HTTP2_SESSION_LOST (retryable).
 */

/** Each stream's receive window: how much the server may send while the client is not reading. */
export const STREAM_WINDOW = 256 * 1024;
/** The session's receive window, shared by its streams. */
export const SESSION_WINDOW = 16 * 1024 * 1024;
/** Streams assumed allowed on a session whose SETTINGS have not arrived yet (RFC 9113 §6.5.2 suggests at least 100). */
const ASSUMED_STREAMS = 100;
/**
 * Node's bound on what one session may hold in buffers (MB). Its default of 10 is sized for
 * requests, not for a thousand long-lived streams each holding a window of unread data.
 */
const MAX_SESSION_MEMORY_MB = 256;

/** Why a session cannot carry WebSockets. */
export type Refusal = "no-h2" | "no-extended-connect";

/** A failure to open a session that means "this server does not do WebSockets over HTTP/2". */
export class SessionRefused extends Error {
  constructor(
    readonly refusal: Refusal,
    message: string,
  ) {
    super(message);
  }
}

/** What opening a session needs. */
export interface SessionRequest {
  readonly key: string;
  readonly target: Target;
  readonly options: ResolvedOptions;
  readonly layers: readonly CompiledPolicy[];
  readonly bounds: Bounds;
  readonly io: DialIO;
}

/** One HTTP/2 session and the streams it carries. */
export class SessionEntry {
  readonly key: string;
  /** Resolves once the server's first SETTINGS arrived and allow the extended CONNECT. */
  readonly ready: Promise<void>;
  session: http2.ClientHttp2Session | undefined;
  /** The address the session's socket is connected to (the proxy's when there is one), and its host. */
  peer: { host: string; address: string } | undefined;
  /** Streams carried or promised (a dial between acquiring the session and opening its stream). */
  active = 0;
  /** Dials waiting for `ready`. */
  waiting = 0;
  /** False once the session is going away: it takes no new stream. */
  usable = true;
  /** True once `ready` has resolved. */
  isReady = false;
  readonly streams = new Set<http2.ClientHttp2Stream>();
  readonly #pool: SessionPool;
  /** Aborted when every dial waiting for this session gave up before it was ready. */
  readonly #abandon = new AbortController();

  constructor(pool: SessionPool, request: SessionRequest) {
    this.#pool = pool;
    this.key = request.key;
    this.ready = this.#open(request);
    this.ready.then(
      () => {
        this.isReady = true;
        // Every dial that waited for it may have given up meanwhile.
        setImmediate(() => this.closeIfIdle());
      },
      () => this.destroy(),
    );
  }

  /** Streams this session may carry at once: the server's limit, or ASSUMED_STREAMS before its SETTINGS. */
  get limit(): number {
    return this.session?.remoteSettings.maxConcurrentStreams ?? ASSUMED_STREAMS;
  }

  async #open(request: SessionRequest): Promise<void> {
    const { target, options, layers, bounds } = request;
    // Before any socket is open, so that no event can come while it loads (the first time).
    const { connect } = await loadHttp2();
    // The session outlives the dial that opened it: the caller's signal cancels that dial's
    // wait (see SessionPool.acquire), not the session other dials may be waiting for.
    const own: Bounds = { ...bounds, signal: this.#abandon.signal };
    const shared: ResolvedOptions = { ...options, signal: this.#abandon.signal };
    const context = target.secure ? secureContext(options) : undefined;
    // The session's own deadline: the dial that opens it may fail later (a refused stream) without
    // taking the session, which other dials share, down with it.
    const opening = new DialDeadline(
      target.url,
      Math.max(1, bounds.deadline - clock()),
      this.#abandon.signal,
    );
    let tcp: Duplex;
    try {
      tcp = await dial({
        target: { ...target, secure: false },
        options: shared,
        layers,
        deadline: opening,
        io: request.io,
      });
    } catch (error) {
      opening.destroyAll();
      throw error;
    } finally {
      opening.dispose();
    }
    let socket: Duplex = tcp;
    if (context !== undefined) {
      let secured: Secured;
      try {
        secured = await secureH2(tcp, target, options, context, own);
      } catch (error) {
        tcp.destroy();
        throw error;
      }
      if (secured.alpn !== "h2") {
        secured.socket.destroy();
        throw new SessionRefused(
          "no-h2",
          `the server at ${authority(target.host, target.port)} does not offer HTTP/2 in ALPN (it chose ${secured.alpn === "" ? "nothing" : secured.alpn})`,
        );
      }
      socket = secured.socket;
    }
    this.#watchSocket(socket);
    const proxy = typeof options.proxy === "object" ? options.proxy : undefined;
    this.peer = {
      host: proxy?.host ?? target.host,
      address: (tcp as Partial<net.Socket>).remoteAddress ?? "",
    };
    const session = connect(`${target.secure ? "https" : "http"}://${target.url.host}`, {
      createConnection: () => socket,
      settings: { enablePush: false, initialWindowSize: STREAM_WINDOW },
      maxSessionMemory: MAX_SESSION_MEMORY_MB,
    });
    this.session = session;
    this.#watch(session);
    const settings = new Promise<void>((resolve, reject) => {
      const onSettings = (settings: http2.Settings): void => {
        cleanup();
        if (settings.enableConnectProtocol === true) {
          session.setLocalWindowSize(SESSION_WINDOW);
          resolve();
          return;
        }
        reject(
          new SessionRefused(
            "no-extended-connect",
            `the HTTP/2 server at ${authority(target.host, target.port)} does not allow WebSockets: its SETTINGS lack SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3)`,
          ),
        );
      };
      const onGone = (): void => {
        cleanup();
        reject(
          failure("HTTP2_SESSION_LOST", "the HTTP/2 session ended before the server's SETTINGS arrived"),
        );
      };
      const cleanup = (): void => {
        session.off("remoteSettings", onSettings);
        session.off("close", onGone);
      };
      session.once("remoteSettings", onSettings);
      session.once("close", onGone);
    });
    await bounded(settings, own, "HTTP/2 SETTINGS exchange");
  }

  /**
   * Fails the session's open streams with HTTP2_SESSION_LOST, and takes the session out of the
   * pool. A stream whose END_STREAM has already arrived is left alone: its WebSocket may be
   * finishing a clean close from what it has already received.
   */
  #lost(why: string): void {
    this.#retire();
    for (const stream of this.streams) {
      const state = (stream as unknown as { _readableState?: { ended?: boolean } })._readableState;
      if (!stream.destroyed && state?.ended !== true) stream.destroy(failure("HTTP2_SESSION_LOST", why));
    }
  }

  /**
   * Node destroys a session's streams without an error when its socket ends; these listeners,
   * added before the socket is handed to Node, fail them first with an error that says why, and
   * is retryable.
   */
  #watchSocket(socket: Duplex): void {
    socket.on("end", () => this.#lost("the server closed the HTTP/2 connection"));
    socket.on("close", () => this.#lost("the HTTP/2 connection was lost"));
    socket.on("error", (error: Error) => this.#lost(`the HTTP/2 connection failed: ${error.message}`));
  }

  /** Follows GOAWAY and session errors. */
  #watch(session: http2.ClientHttp2Session): void {
    const lost = (why: string): void => this.#lost(why);
    session.on("goaway", (code: number, lastStreamId: number) => {
      this.#retire();
      // Streams above lastStreamId were not and will not be processed (RFC 9113 §6.8).
      for (const stream of this.streams) {
        if (!stream.destroyed && (stream.id ?? 0) > lastStreamId) {
          stream.destroy(
            failure(
              "HTTP2_SESSION_LOST",
              `the server sent GOAWAY (code ${code}) before this stream was processed`,
            ),
          );
        }
      }
      if (code !== HTTP2_NO_ERROR) lost(`the server sent GOAWAY with error code ${code}`);
    });
    session.on("error", (error: Error) => lost(`the HTTP/2 session failed: ${error.message}`));
    session.on("close", () => lost("the HTTP/2 session closed"));
  }

  /** Records a stream opened on this session, and lets go of the session once the stream ends. */
  track(stream: http2.ClientHttp2Stream): void {
    this.streams.add(stream);
    stream.once("close", () => {
      this.streams.delete(stream);
      this.release();
    });
  }

  /** Gives back a place taken by `acquire`; the last one out closes the session. */
  release(): void {
    this.active--;
    this.closeIfIdle();
  }

  /** Closes the session when no stream and no dial holds it. */
  closeIfIdle(): void {
    if (this.active > 0 || this.waiting > 0) return;
    this.#retire();
    const session = this.session;
    if (session !== undefined && !session.closed && !session.destroyed) session.close();
  }

  #retire(): void {
    if (!this.usable) return;
    this.usable = false;
    this.#pool.remove(this);
  }

  /** Ends the session now, or stops opening it. */
  destroy(): void {
    this.#retire();
    this.#abandon.abort();
    this.session?.destroy();
  }
}

/** The process-wide pool of HTTP/2 sessions. */
export class SessionPool {
  readonly #entries = new Map<string, SessionEntry[]>();

  /**
   * A session for `request.key` with room for one more stream, its place taken (give it back
   * with `release`, or `track` a stream): a ready one, one being opened, or a new one.
   */
  async acquire(request: SessionRequest): Promise<SessionEntry> {
    for (;;) {
      const entries = this.#entries.get(request.key) ?? [];
      const hasRoom = (e: SessionEntry): boolean => e.usable && e.active + e.waiting < e.limit;
      const entry =
        entries.find((e) => e.isReady && hasRoom(e)) ??
        entries.find((e) => !e.isReady && hasRoom(e)) ??
        this.#open(request);
      if (!entry.isReady) {
        entry.waiting++;
        let interrupted = false;
        try {
          await bounded(entry.ready, request.bounds, "HTTP/2 session setup", () => {
            interrupted = true;
          });
        } catch (error) {
          // A session opened by another dial failed on that dial's deadline: this one has its own.
          const theirs = !interrupted && error instanceof WebSocketError && error.kind === "TIMEOUT";
          if (theirs && clock() < request.bounds.deadline) continue;
          throw error;
        } finally {
          entry.waiting--;
          if (!entry.isReady && entry.waiting === 0 && entry.active === 0) entry.destroy();
        }
      }
      if (!entry.usable || entry.active >= entry.limit) {
        // The session went away meanwhile, or the server allowed fewer streams than assumed.
        entry.closeIfIdle();
        continue;
      }
      entry.active++;
      if (entry.peer !== undefined) checkPeer(request.layers, entry.peer, () => entry.release());
      return entry;
    }
  }

  #open(request: SessionRequest): SessionEntry {
    const entry = new SessionEntry(this, request);
    const list = this.#entries.get(request.key);
    if (list === undefined) this.#entries.set(request.key, [entry]);
    else list.push(entry);
    return entry;
  }

  remove(entry: SessionEntry): void {
    const list = this.#entries.get(entry.key);
    if (list === undefined) return;
    const index = list.indexOf(entry);
    if (index >= 0) list.splice(index, 1);
    if (list.length === 0) this.#entries.delete(entry.key);
  }

  /** How many sessions are open or opening (tests). */
  get size(): number {
    let n = 0;
    for (const list of this.#entries.values()) n += list.length;
    return n;
  }

  /** The sessions of a key, for tests. */
  sessions(key: string): readonly SessionEntry[] {
    return this.#entries.get(key) ?? [];
  }
}

/**
 * The session's peer address checked against this dial's policy: a session opened for a dial
 * whose policy allowed the address is not handed to one whose policy refuses it.
 */
function checkPeer(
  layers: readonly CompiledPolicy[],
  peer: { host: string; address: string },
  undo: () => void,
): void {
  try {
    if (peer.address !== "") checkAddress(layers, peer.host, peer.address);
  } catch (error) {
    undo();
    throw error as WebSocketError;
  }
}

/** The one pool of the process. */
export const sessionPool = new SessionPool();
