import type { Duplex } from "node:stream";
import { failure, WebSocketError } from "../errors/errors.js";
import { formatDuration } from "../options/duration.js";
import { shownUrl } from "../options/url.js";
import { describeUrl } from "../policy/policy.js";
import { clock } from "./clock.js";
import { type DialPhase, diagnostics } from "./diagnostics.js";

/** The phases of a dial, named in timeout and cancellation messages. */
export type Phase =
  | "DNS lookup"
  | "TCP connect"
  | "proxy CONNECT"
  | "SOCKS5 negotiation"
  | "TLS handshake"
  | "opening handshake";

const noop = (): void => {};

/** How `wschan:dial:phase` names each phase. */
const PHASE_NAMES: Readonly<Record<Phase, DialPhase>> = {
  "DNS lookup": "dns",
  "TCP connect": "tcp",
  "proxy CONNECT": "proxy",
  "SOCKS5 negotiation": "proxy",
  "TLS handshake": "tls",
  "opening handshake": "upgrade",
};

/**
 * The one deadline and abort of a whole dial, from the DNS lookup to the end of the opening
 * handshake. Work is awaited through `guard`, which names the phase; streams the dial opens are
 * `track`ed, and when the deadline passes (DIAL_TIMEOUT) or the signal aborts (CANCELED) every
 * tracked stream is destroyed at once, so nothing the dial started outlives it.
 */
export class DialDeadline {
  phase: Phase = "DNS lookup";
  /** The phase being timed for diagnostics, and since when. */
  #timed: Phase | undefined;
  #since = 0;
  readonly #url: URL;
  readonly #expires: number;
  readonly #signal: AbortSignal | undefined;
  readonly #streams = new Set<Duplex>();
  /** Rejects the guard under way, if any (see `guard`). */
  #reject: (error: WebSocketError) => void = noop;
  #error: WebSocketError | undefined;
  #timer: NodeJS.Timeout | undefined;
  #onAbort = noop;

  constructor(url: URL, timeoutMs: number, signal: AbortSignal | undefined) {
    this.#url = url;
    this.#expires = clock() + timeoutMs;
    this.#signal = signal;
    if (signal?.aborted) {
      this.#interrupt(this.#canceled());
      return;
    }
    this.#timer = setTimeout(() => {
      this.#interrupt(
        failure(
          "DIAL_TIMEOUT",
          `dial to ${describeUrl(url)} timed out after ${formatDuration(timeoutMs)} (during the ${this.phase})`,
        ),
      );
    }, timeoutMs);
    if (signal !== undefined) {
      this.#onAbort = () => this.#interrupt(this.#canceled());
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
  }

  /** Whether the deadline passed or the signal aborted. */
  get interrupted(): boolean {
    return this.#error !== undefined;
  }

  /** Milliseconds left before the deadline. */
  remaining(): number {
    return Math.max(0, this.#expires - clock());
  }

  /** Throws the interruption if there was one (an already aborted signal, say). */
  check(): void {
    if (this.#error !== undefined) throw this.#error;
  }

  /**
   * Awaits `work` in `phase`, unless the deadline passes or the signal aborts first. A dial runs
   * its phases one after another, so one guard at a time is under way: an interruption rejects
   * that one. (Were an earlier one still waiting, the streams it waits on are destroyed with the
   * rest, which ends its work too.) `failed`, when given, turns the work's own failure into the
   * phase's error; a WebSocketError (the interruption's, or one the work made) passes as it is.
   */
  guard<T>(phase: Phase, work: Promise<T>, failed?: (error: Error) => WebSocketError): Promise<T> {
    this.phase = phase;
    if (this.#timed !== phase) {
      this.#phaseDone();
      this.#timed = phase;
      this.#since = clock();
    }
    if (this.#error !== undefined) {
      work.catch(noop);
      return Promise.reject(this.#error);
    }
    // One promise per phase, where Promise.race would add a reaction to a shared promise that
    // lives as long as the dial, and an array and its iterator besides.
    return new Promise<T>((resolve, reject) => {
      this.#reject = reject;
      work.then(
        resolve,
        failed === undefined
          ? reject
          : (error: unknown) => reject(error instanceof WebSocketError ? error : failed(error as Error)),
      );
    });
  }

  /** Destroys `stream` if the dial is interrupted or fails; returns it. */
  track<T extends Duplex>(stream: T): T {
    this.#streams.add(stream);
    if (this.#error !== undefined) stream.destroy();
    return stream;
  }

  /** The dial failed: destroys every stream it opened. */
  destroyAll(): void {
    for (const stream of this.#streams) stream.destroy();
    this.#streams.clear();
  }

  /** The dial succeeded: the last phase is complete too (for diagnostics). */
  complete(): void {
    this.#phaseDone();
    this.#timed = undefined;
  }

  /** Tells diagnostics subscribers how long the phase that just ended took. */
  #phaseDone(): void {
    if (this.#timed === undefined || !diagnostics.dialPhase.hasSubscribers) return;
    diagnostics.dialPhase.publish({
      url: shownUrl(this.#url),
      phase: PHASE_NAMES[this.#timed],
      ms: clock() - this.#since,
    });
  }

  /** Stops the timer and leaves the signal; the streams are the caller's from now on. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener("abort", this.#onAbort);
    this.#streams.clear();
  }

  #canceled(): WebSocketError {
    return failure(
      "CANCELED",
      `connecting to ${describeUrl(this.#url)} was canceled during the ${this.phase}`,
      {
        cause: this.#signal?.reason,
      },
    );
  }

  #interrupt(error: WebSocketError): void {
    if (this.#error !== undefined) return;
    this.#error = error;
    clearTimeout(this.#timer);
    this.#reject(error);
    this.destroyAll();
  }
}
