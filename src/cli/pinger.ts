// The pings of `--ping`: one at a time, every interval; a pong that does not come within its
// wait ends the pinging and is reported once. The round trip of each pong is measured.
import type { Client } from "../client/client.js";
import { errors } from "../errors/errors.js";

export interface PingerEvents {
  readonly sent: () => void;
  /** A pong arrived, `rtt` milliseconds after its ping was sent. */
  readonly pong: (rtt: number) => void;
  /** No pong within the wait. */
  readonly timeout: () => void;
}

export class Pinger {
  #client: Client;
  #interval: number;
  #wait: number;
  #events: PingerEvents;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(client: Client, interval: number, wait: number, events: PingerEvents) {
    this.#client = client;
    this.#interval = interval;
    this.#wait = wait;
    this.#events = events;
    this.#schedule(interval);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(delay: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => this.#ping(), delay);
  }

  #ping(): void {
    if (this.#stopped) return;
    const started = performance.now();
    let settled = false;
    this.#events.sent();
    this.#timer = setTimeout(() => {
      if (settled || this.#stopped) return;
      settled = true;
      this.#stopped = true;
      this.#events.timeout();
    }, this.#wait);
    this.#client.ping().then(
      () => {
        if (settled || this.#stopped) return;
        settled = true;
        clearTimeout(this.#timer);
        this.#events.pong(performance.now() - started);
        this.#schedule(Math.max(0, this.#interval - (performance.now() - started)));
      },
      (error: unknown) => {
        if (settled || this.#stopped) return;
        settled = true;
        clearTimeout(this.#timer);
        this.#stopped = true;
        // The library's own ping timeout (the read timeout, 30 s when unset) came first; any
        // other rejection is the connection ending, reported from `closed`.
        if (errors.is(error, "TIMEOUT")) this.#events.timeout();
      },
    );
  }
}
