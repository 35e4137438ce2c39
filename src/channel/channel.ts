import { invalid } from "../errors/errors.js";
import { parseDuration } from "../options/duration.js";

/** `take` found nothing buffered on an open channel. */
const NOTHING: unique symbol = Symbol("nothing");
/** `take` found the channel closed and empty. */
const DRAINED: unique symbol = Symbol("drained");

/** What `receive()` gives: a value and `true`, or `undefined` and `false` once the channel is closed and empty. */
export type Received<T> = [value: T, ok: true] | [value: undefined, ok: false];

/** The outcome of `select`: which channel was ready, its value, and whether it was open. */
export interface Selected<T = unknown> {
  /** The channel of the case that was chosen; compare it with your channels to tell which. */
  readonly channel: Channel<T>;
  /** The value received; `undefined` when `ok` is false. */
  readonly value: T | undefined;
  /** False when the chosen channel was closed and drained (for the receive channel: the connection ended). */
  readonly ok: boolean;
}

/** One arm of a `select`, made by `channel.case_receive()`. */
export interface ReceiveCase<T = unknown> {
  /** The channel this case receives from. */
  readonly channel: Channel<T>;
}

/** A waiting receiver. `deliver` returns false when the receiver has already been served elsewhere. */
interface Waiter<T> {
  deliver(value: T | undefined, ok: boolean): boolean;
}

/**
 * The state behind a channel. Producers (the client, timers) hold the core; users hold the
 * `Channel`, which can only receive.
 */
export class ChannelCore<T> {
  // A ring would avoid the occasional compaction; an array with a head index is simpler and as fast here.
  private items: T[] = [];
  private head = 0;
  private waiters: Waiter<T>[] = [];
  private isClosed = false;
  readonly channel: Channel<T>;
  /** Called after a buffered value is taken by a receiver. */
  onTake: (() => void) | undefined;
  /** Called when the number of waiting receivers goes from 0 to 1 or from 1 to 0. */
  onWaiting: ((waiting: boolean) => void) | undefined;

  constructor() {
    this.channel = new Channel(this);
  }

  get length(): number {
    return this.items.length - this.head;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Hands `value` to a waiting receiver or buffers it. Values sent after `close` are dropped. */
  send(value: T): void {
    if (this.isClosed) return;
    while (this.waiters.length > 0) {
      const waiter = this.waiters.shift()!;
      if (this.waiters.length === 0) this.onWaiting?.(false);
      if (waiter.deliver(value, true)) return;
    }
    this.items.push(value);
  }

  /** No more values will come; receivers drain what is buffered, then see `ok === false`. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.length > 0) return;
    this.releaseWaiters();
  }

  /** Takes a buffered value; NOTHING when a receiver would wait, DRAINED once closed and empty. */
  take(): T | typeof NOTHING | typeof DRAINED {
    const items = this.items;
    if (this.head < items.length) {
      const value = items[this.head]!;
      items[this.head] = undefined as T;
      this.head++;
      if (this.head === items.length) {
        // Emptied: reuse the array rather than allocate one per message in a steady stream.
        items.length = 0;
        this.head = 0;
      } else if (this.head >= 1024 && this.head * 2 >= items.length) {
        this.items = items.slice(this.head);
        this.head = 0;
      }
      if (this.isClosed && this.length === 0) this.releaseWaiters();
      this.onTake?.();
      return value;
    }
    return this.isClosed ? DRAINED : NOTHING;
  }

  // ---- issue 17: taking many values at once (receiveBatch) ----

  /** Takes up to `max` buffered values, oldest first, in one array (empty when none is buffered). */
  takeMany(max: number): T[] {
    const items = this.items;
    const available = items.length - this.head;
    const count = Math.min(available, max);
    if (count <= 0) return [];
    let out: T[];
    if (this.head === 0 && count === items.length) {
      // Everything buffered: hand the array itself over and start a fresh one.
      out = items;
      this.items = [];
    } else {
      out = items.slice(this.head, this.head + count);
      this.head += count;
      if (this.head === items.length) {
        items.length = 0;
        this.head = 0;
      }
    }
    if (this.isClosed && this.length === 0) this.releaseWaiters();
    const onTake = this.onTake;
    if (onTake !== undefined) for (let i = 0; i < count; i++) onTake();
    return out;
  }

  // ---- end of issue 17 block ----

  /** Whether a receive would complete at once. */
  get ready(): boolean {
    return this.head < this.items.length || this.isClosed;
  }

  wait(waiter: Waiter<T>): void {
    this.waiters.push(waiter);
    if (this.waiters.length === 1) this.onWaiting?.(true);
  }

  unwait(waiter: Waiter<T>): void {
    const index = this.waiters.indexOf(waiter);
    if (index < 0) return;
    this.waiters.splice(index, 1);
    if (this.waiters.length === 0) this.onWaiting?.(false);
  }

  private releaseWaiters(): void {
    const waiters = this.waiters;
    if (waiters.length === 0) return;
    this.waiters = [];
    this.onWaiting?.(false);
    for (const waiter of waiters) waiter.deliver(undefined, false);
  }
}

const CLOSED: Received<never> = Object.freeze([undefined, false]) as unknown as Received<never>;
const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/** A receive-only channel, in the manner of Go's `<-chan T`. */
export class Channel<T> implements AsyncIterable<T> {
  readonly #core: ChannelCore<T>;

  /** @internal Channels are made by the library (`client.channel()`, `after`). */
  constructor(core: ChannelCore<T>) {
    this.#core = core;
  }

  /** Messages buffered and not yet received. */
  get length(): number {
    return this.#core.length;
  }

  /** Waits for the next value: `[value, true]`, or `[undefined, false]` once closed and drained. */
  receive(): Promise<Received<T>> {
    const value = this.#core.take();
    if (value === DRAINED) return Promise.resolve(CLOSED);
    if (value !== NOTHING) return Promise.resolve([value, true]);
    return new Promise((resolve) => {
      this.#core.wait({
        deliver(value, ok) {
          resolve(ok ? [value as T, true] : CLOSED);
          return true;
        },
      });
    });
  }

  // ---- issue 17: receiving without a promise per message ----

  /**
   * Takes the next buffered value without waiting, as Go's `select` with a `default` case does:
   * the value, or `undefined` when none is buffered (whether the channel is open or closed; a
   * `receive()` tells which). No promise and no allocation.
   */
  tryReceive(): T | undefined {
    const value = this.#core.take();
    return value === NOTHING || value === DRAINED ? undefined : value;
  }

  /**
   * Waits until at least one value is buffered, then takes every buffered value, at most `max`
   * (default: all), oldest first: one promise per batch rather than one per value. Resolves with
   * an empty array once the channel is closed and drained.
   */
  receiveBatch(max = Number.POSITIVE_INFINITY): Promise<T[]> {
    if (!(max >= 1)) return Promise.reject(invalid("receiveBatch: max must be at least 1"));
    const core = this.#core;
    const batch = core.takeMany(max);
    if (batch.length > 0 || core.closed) return Promise.resolve(batch);
    const woken = new Promise<boolean>((resolve) => {
      core.wait({
        deliver(_value, ok) {
          resolve(ok);
          // Leave the value buffered: it is collected a microtask later, with whatever follows
          // it in the same read, as one batch rather than a wake-up per value.
          return !ok;
        },
      });
    });
    return woken.then((ok) => (ok ? this.receiveBatch(max) : []));
  }

  // ---- end of issue 17 block ----

  /** This channel as an arm of `select`. */
  case_receive(): ReceiveCase<T> {
    return { channel: this };
  }

  /** The channel as an async iterator: each value until the channel is closed and drained. */
  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    // Written by hand: an async generator costs about twice as much per value.
    const core = this.#core;
    return {
      next(): Promise<IteratorResult<T, undefined>> {
        const value = core.take();
        if (value === DRAINED) return Promise.resolve(DONE);
        if (value !== NOTHING) return Promise.resolve({ value, done: false });
        return new Promise((resolve) => {
          core.wait({
            deliver(delivered, ok) {
              resolve(ok ? { value: delivered as T, done: false } : DONE);
              return true;
            },
          });
        });
      },
    };
  }

  /** @internal */
  static core<T>(channel: Channel<T>): ChannelCore<T> {
    return channel.#core;
  }
}

/**
 * Waits until one of the cases can receive and receives from exactly that one. When several are
 * ready at once, one is chosen at random, as Go does, so that no case is starved.
 */
export function select<T extends readonly ReceiveCase<unknown>[]>(
  cases: T,
): Promise<Selected<T[number] extends ReceiveCase<infer U> ? U : never>>;
export function select(cases: readonly ReceiveCase<unknown>[]): Promise<Selected<unknown>> {
  if (!Array.isArray(cases) || cases.length === 0) {
    return Promise.reject(invalid("select needs at least one case"));
  }
  const cores: ChannelCore<unknown>[] = [];
  for (const c of cases) {
    if (c === null || typeof c !== "object" || !(c.channel instanceof Channel)) {
      return Promise.reject(invalid("select cases must come from channel.case_receive()"));
    }
    cores.push(Channel.core(c.channel));
  }
  let readyCount = 0;
  let pick = -1;
  for (let i = 0; i < cores.length; i++) {
    // Reservoir sampling picks uniformly among the ready cases in one pass.
    if (cores[i]!.ready && Math.random() * ++readyCount < 1) pick = i;
  }
  if (pick >= 0) {
    const value = cores[pick]!.take();
    const ok = value !== DRAINED;
    return Promise.resolve({ channel: cases[pick]!.channel, value: ok ? (value as unknown) : undefined, ok });
  }
  return new Promise((resolve) => {
    let done = false;
    const waiters = cores.map((_core, i) => {
      const waiter: Waiter<unknown> = {
        deliver(value, ok) {
          if (done) return false;
          done = true;
          for (let j = 0; j < cores.length; j++) if (j !== i) cores[j]!.unwait(waiters[j]!);
          resolve({ channel: cases[i]!.channel, value, ok });
          return true;
        },
      };
      return waiter;
    });
    for (let i = 0; i < cores.length; i++) cores[i]!.wait(waiters[i]!);
  });
}

/**
 * A channel that receives the current `Date` once, after `duration` (milliseconds or a Go
 * duration string), like Go's `time.After`. Its timer keeps the process alive only while
 * someone is waiting on it, so an abandoned `after` never delays exit.
 */
export function after(duration: number | string): Channel<Date> {
  const ms = parseDuration(duration);
  if (ms === undefined) throw invalid(`after: invalid duration ${JSON.stringify(duration)}`);
  const core = new ChannelCore<Date>();
  const timer = setTimeout(() => {
    // Never closed afterwards, as in Go: a second receive waits forever instead of spinning.
    core.send(new Date());
  }, ms);
  timer.unref();
  core.onWaiting = (waiting) => {
    if (waiting) timer.ref();
    else timer.unref();
  };
  return core.channel;
}
