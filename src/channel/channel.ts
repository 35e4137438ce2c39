import { invalid } from "../errors/errors.js";
import { parseDuration } from "../options/duration.js";
import { NONE } from "../protocol/empty.js";

/** `take` found nothing buffered on an open channel. */
const NOTHING: unique symbol = Symbol("nothing");
/** `take` found the channel closed and empty. */
const DRAINED: unique symbol = Symbol("drained");

/** What `receive()` gives: a value and `true`, or `undefined` and `false` once the channel is closed and empty. */
export type Received<T> = [value: T, ok: true] | [value: undefined, ok: false];

/**
 * The outcome of `select` when the case at position `I` fired: `index` says which case, `ok`
 * whether its channel was open. Both are literal types, so checking them narrows `value`.
 */
export type Selected<T = unknown, I extends number = number> =
  | {
      /** The position of the chosen case in the array given to `select`. */
      readonly index: I;
      /** The channel of the chosen case. */
      readonly channel: Channel<T>;
      /** The value received. */
      readonly value: T;
      /** True: a value was received. */
      readonly ok: true;
    }
  | {
      /** The position of the chosen case in the array given to `select`. */
      readonly index: I;
      /** The channel of the chosen case. */
      readonly channel: Channel<T>;
      /** Nothing: the channel was closed and drained. */
      readonly value: undefined;
      /** False: the chosen channel was closed and drained (for a client's channel: the connection ended). */
      readonly ok: false;
    };

/** The type of value a case receives. */
export type CaseValue<C> = C extends ReceiveCase<infer U> ? U : never;

/**
 * What `select(cases)` resolves with: one `Selected` per case, told apart by `index` (a literal
 * when `cases` is written as an array literal), so that `if (r.index === 1)` narrows `value` to
 * that case's type.
 */
export type SelectResult<C extends readonly ReceiveCase<unknown>[]> = number extends C["length"]
  ? Selected<CaseValue<C[number]>, number>
  : { [I in keyof C]: I extends `${infer N extends number}` ? Selected<CaseValue<C[I]>, N> : never }[number];

/** One arm of a `select`, made by `channel.case_receive()`. */
export interface ReceiveCase<T = unknown> {
  /** The channel this case receives from. */
  readonly channel: Channel<T>;
}

/** A waiting receiver. `deliver` returns false when the receiver has already been served elsewhere. */
interface Waiter<T> {
  deliver(value: T | undefined, ok: boolean): boolean;
}

/** A sender waiting for room in a full channel (or, unbuffered, for a receiver). */
interface BlockedSender<T> {
  readonly value: T;
  resolve(): void;
  reject(error: unknown): void;
}

/** Marks a promise as handled so an ignored failure is not an unhandled rejection; awaiting it still throws. */
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

/**
 * @internal The state behind a channel. Producers (the client, timers, `chan`) hold the core;
 * users hold the `Channel`, which can only receive.
 */
export class ChannelCore<T> {
  // A ring would avoid the occasional compaction; an array with a head index is simpler and as fast here.
  private items: T[] = NONE;
  private head = 0;
  private waiters: Waiter<T>[] = NONE;
  private senders: BlockedSender<T>[] = NONE;
  private isClosed = false;
  readonly channel: Channel<T>;
  /**
   * Called after a buffered value is taken by a receiver, with the value. Typed `unknown` so that
   * a `Channel<T>` stays assignable to a `Channel<unknown>` (a `select` case).
   */
  onTake: ((value: unknown) => void) | undefined;
  /** Called when the number of waiting receivers goes from 0 to 1 or from 1 to 0. */
  onWaiting: ((waiting: boolean) => void) | undefined;
  /** Called before the buffer is looked at, so a lazy producer (a timer) can add what is due. */
  refill: (() => void) | undefined;

  /**
   * `capacity` bounds `put` only: `send` is for producers that do their own flow control (a
   * client's channel, bounded by its engine), which leave it 0. Not Infinity: a fraction or an
   * infinity in one channel would make the field a boxed double in every channel.
   */
  constructor(
    readonly capacity = 0,
    sendable = false,
  ) {
    this.channel = sendable ? makeChan(this) : makeChannel(this);
  }

  get length(): number {
    this.refill?.();
    return this.items.length - this.head;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Hands `value` to a waiting receiver or buffers it, whatever the capacity. Values sent after
   * `close` are dropped. Returns true when the value was buffered (left waiting to be taken).
   */
  send(value: T): boolean {
    if (this.isClosed || (this.waiters.length > 0 && this.handOver(value))) return false;
    this.buffer(value);
    return true;
  }

  /**
   * Go's `ch <- value`: resolves once a receiver has the value or it is buffered within the
   * capacity; until then the sender waits, in order. Rejects (INVALID) on a closed channel.
   */
  put(value: T): Promise<void> {
    if (this.isClosed) return quiet(Promise.reject(invalid("send on a closed channel")));
    if (this.handOver(value)) return Promise.resolve();
    if (this.items.length - this.head < this.capacity) {
      this.buffer(value);
      return Promise.resolve();
    }
    return quiet(
      new Promise<void>((resolve, reject) => {
        if (this.senders === NONE) this.senders = [];
        this.senders.push({ value, resolve, reject });
      }),
    );
  }

  /** No more values will come; receivers drain what is buffered, then see `ok === false`. Returns false if it was already closed. */
  close(): boolean {
    if (this.isClosed) return false;
    this.isClosed = true;
    const senders = this.senders;
    if (senders.length > 0) {
      // As in Go, a sender still blocked when the channel closes fails rather than waiting forever.
      this.senders = NONE;
      for (const sender of senders) sender.reject(invalid("send on a closed channel"));
    }
    if (this.items.length - this.head === 0) this.releaseWaiters();
    return true;
  }

  /** Drops whatever is buffered (a stopped timer's value). */
  clear(): void {
    if (this.items !== NONE) this.items.length = 0;
    this.head = 0;
  }

  /** Takes a buffered value; NOTHING when a receiver would wait, DRAINED once closed and empty. */
  take(): T | typeof NOTHING | typeof DRAINED {
    this.refill?.();
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
      if (this.senders.length > 0) {
        // Room was made: the longest-blocked sender's value joins the buffer.
        const sender = this.senders.shift()!;
        this.items.push(sender.value);
        sender.resolve();
      }
      if (this.isClosed && this.items.length - this.head === 0) this.releaseWaiters();
      this.onTake?.(value);
      return value;
    }
    if (this.senders.length > 0) {
      // Unbuffered: the value passes straight from a blocked sender to this receiver.
      const sender = this.senders.shift()!;
      sender.resolve();
      return sender.value;
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
      // Everything buffered: hand the array itself over; the next value starts a new one.
      out = items;
      this.items = NONE;
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
    if (onTake !== undefined) for (let i = 0; i < count; i++) onTake(out[i]!);
    return out;
  }

  // ---- end of issue 17 block ----

  /** Whether a receive would complete at once. */
  get ready(): boolean {
    this.refill?.();
    return this.head < this.items.length || this.senders.length > 0 || this.isClosed;
  }

  wait(waiter: Waiter<T>): void {
    if (this.waiters === NONE) this.waiters = [];
    this.waiters.push(waiter);
    if (this.waiters.length === 1) this.onWaiting?.(true);
  }

  unwait(waiter: Waiter<T>): void {
    const index = this.waiters.indexOf(waiter);
    if (index < 0) return;
    this.waiters.splice(index, 1);
    if (this.waiters.length === 0) this.onWaiting?.(false);
  }

  /** Adds `value` to the buffer, which gets an array of its own on its first value. */
  private buffer(value: T): void {
    if (this.items === NONE) this.items = [value];
    else this.items.push(value);
  }

  /** Gives `value` to a waiting receiver; false when there is none. */
  private handOver(value: T): boolean {
    while (this.waiters.length > 0) {
      const waiter = this.waiters.shift()!;
      if (this.waiters.length === 0) this.onWaiting?.(false);
      if (waiter.deliver(value, true)) return true;
    }
    return false;
  }

  private releaseWaiters(): void {
    const waiters = this.waiters;
    if (waiters.length === 0) return;
    this.waiters = NONE;
    this.onWaiting?.(false);
    for (const waiter of waiters) waiter.deliver(undefined, false);
  }
}

const CLOSED: Received<never> = Object.freeze([undefined, false]) as unknown as Received<never>;
const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

// Module-private ways in: the published types offer neither a constructor nor the core.
let coreOf: <T>(channel: Channel<T>) => ChannelCore<T>;
let makeChannel: <T>(core: ChannelCore<T>) => Channel<T>;
let makeChan: <T>(core: ChannelCore<T>) => Chan<T>;

/**
 * A receive-only channel, in the manner of Go's `<-chan T`: `client.channel()`, `after()`,
 * `timer().channel`, or a `chan()` seen through this type. Usable in `select` and `for await`.
 */
export class Channel<T> implements AsyncIterable<T> {
  readonly #core: ChannelCore<T>;

  private constructor(core: ChannelCore<T>) {
    if (!(core instanceof ChannelCore)) {
      throw new TypeError("channels are made by chan(), after(), timer() or client.channel()");
    }
    this.#core = core;
  }

  static {
    coreOf = (channel) => channel.#core;
    makeChannel = (core) => new Channel(core);
    /** A channel that its owner can also send on and close: what `chan()` returns. */
    class SendableChannel<T> extends Channel<T> implements Chan<T> {
      send(value: T): Promise<void> {
        return coreOf(this).put(value);
      }
      close(): boolean {
        return coreOf(this).close();
      }
    }
    makeChan = (core) => new SendableChannel(core);
  }

  /** Values buffered and not yet received. */
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

  /**
   * The channel as an async iterator: each value until the channel is closed and drained.
   * Leaving the loop early (`break`, `return`, a throw) only stops receiving: it closes neither
   * the channel nor, for `client.channel()`, the connection.
   */
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
}

/**
 * A channel its maker can send on and close, like Go's `chan T`. Pass it on as a `Channel<T>`
 * to give others only the receiving side.
 */
export interface Chan<T> extends Channel<T> {
  /**
   * Go's `ch <- value`: resolves once the value is buffered (there was room) or, on an
   * unbuffered channel, taken by a receiver; while the buffer is full the send waits, in order.
   * Rejects with INVALID on a closed channel, or when the channel closes while the send waits.
   */
  send(value: T): Promise<void>;
  /**
   * Go's `close(ch)`: receivers get what is buffered, then `ok === false`. Returns `true`, or
   * `false` when the channel was already closed (Go would panic; here it is harmless).
   */
  close(): boolean;
}

/**
 * Makes a channel, like Go's `make(chan T, capacity)`: `capacity` values can be buffered
 * (default 0: unbuffered, each send waits for a receiver).
 */
export function chan<T>(capacity = 0): Chan<T> {
  if (!Number.isSafeInteger(capacity) || capacity < 0) {
    throw invalid(`chan: capacity must be a whole number of at least 0, not ${String(capacity)}`);
  }
  return new ChannelCore<T>(capacity, true).channel as Chan<T>;
}

/**
 * Waits until one of the cases can receive and receives from exactly that one. When several are
 * ready at once, one is chosen at random, as Go does, so that no case is starved. The result's
 * `index` is the position of the chosen case; checking it and `ok` narrows `value`.
 */
export function select<const C extends readonly ReceiveCase<unknown>[]>(cases: C): Promise<SelectResult<C>>;
export function select(cases: readonly ReceiveCase<unknown>[]): Promise<Selected<unknown>> {
  if (!Array.isArray(cases) || cases.length === 0) {
    return Promise.reject(invalid("select needs at least one case"));
  }
  const cores: ChannelCore<unknown>[] = [];
  for (const c of cases) {
    if (c === null || typeof c !== "object" || !(c.channel instanceof Channel)) {
      return Promise.reject(invalid("select cases must come from channel.case_receive()"));
    }
    cores.push(coreOf(c.channel));
  }
  let readyCount = 0;
  let pick = -1;
  for (let i = 0; i < cores.length; i++) {
    // Reservoir sampling picks uniformly among the ready cases in one pass.
    if (cores[i]!.ready && Math.random() * ++readyCount < 1) pick = i;
  }
  if (pick >= 0) {
    const value = cores[pick]!.take();
    return Promise.resolve(selected(pick, cases[pick]!.channel, value));
  }
  return new Promise((resolve) => {
    let done = false;
    const waiters = cores.map((_core, i) => {
      const waiter: Waiter<unknown> = {
        deliver(value, ok) {
          if (done) return false;
          done = true;
          for (let j = 0; j < cores.length; j++) if (j !== i) cores[j]!.unwait(waiters[j]!);
          resolve(
            ok ? { index: i, channel: cases[i]!.channel, value, ok } : closedCase(i, cases[i]!.channel),
          );
          return true;
        },
      };
      return waiter;
    });
    for (let i = 0; i < cores.length; i++) cores[i]!.wait(waiters[i]!);
  });
}

function selected(index: number, channel: Channel<unknown>, value: unknown): Selected<unknown> {
  if (value === DRAINED) return closedCase(index, channel);
  // A ready case never yields NOTHING: `ready` said a value, a blocked sender or the close was there.
  return { index, channel, value, ok: true };
}

function closedCase(index: number, channel: Channel<unknown>): Selected<unknown> {
  return { index, channel, value: undefined, ok: false };
}

function durationMs(name: string, duration: number | string): number {
  const ms = parseDuration(duration);
  if (ms === undefined) throw invalid(`${name}: invalid duration ${JSON.stringify(duration)}`);
  return ms;
}

/** A timer in the manner of Go's `time.Timer`: its channel receives the time once, when it fires. */
export interface Timer {
  /** Receives the `Date` the timer fired at, once. */
  readonly channel: Channel<Date>;
  /**
   * Stops the timer: it will not fire, and a value it fired but nobody received is dropped (as
   * in Go 1.23 and later). Returns `true` if this stopped a timer that had not fired yet.
   */
  stop(): boolean;
  /**
   * Restarts the timer to fire after `duration` from now, dropping any value not yet received.
   * Returns `true` if the timer had not fired yet.
   */
  reset(duration: number | string): boolean;
}

/**
 * A deadline that becomes a value in its channel. No Node timer exists unless someone is waiting
 * on the channel: an abandoned timer is plain garbage, and a waiting one keeps the process alive.
 */
class Deadline implements Timer {
  readonly #core = new ChannelCore<Date>(1);
  /** `performance.now()` at which to fire; undefined once fired or stopped. */
  #due: number | undefined;
  /** The wall-clock time it fires at, the value received. */
  #at = 0;
  #handle: NodeJS.Timeout | undefined;
  /** Whether a receiver is waiting on the channel: only then does a Node timer run. */
  #waited = false;

  constructor(ms: number) {
    this.#arm(ms);
    this.#core.refill = () => {
      if (this.#due !== undefined && performance.now() >= this.#due) this.#fire();
    };
    this.#core.onWaiting = (waiting) => {
      this.#waited = waiting;
      if (waiting) this.#schedule();
      else this.#unschedule();
    };
  }

  get channel(): Channel<Date> {
    return this.#core.channel;
  }

  stop(): boolean {
    const pending = this.#due !== undefined && performance.now() < this.#due;
    this.#due = undefined;
    this.#unschedule();
    this.#core.clear();
    return pending;
  }

  reset(duration: number | string): boolean {
    const ms = durationMs("reset", duration);
    const pending = this.stop();
    this.#arm(ms);
    return pending;
  }

  #arm(ms: number): void {
    this.#due = performance.now() + ms;
    this.#at = Date.now() + ms;
    if (this.#waited) this.#schedule();
  }

  #schedule(): void {
    if (this.#due === undefined || this.#handle !== undefined) return;
    this.#handle = setTimeout(
      () => {
        this.#handle = undefined;
        this.#fire();
      },
      Math.max(0, this.#due - performance.now()),
    );
  }

  #unschedule(): void {
    if (this.#handle === undefined) return;
    clearTimeout(this.#handle);
    this.#handle = undefined;
  }

  #fire(): void {
    if (this.#due === undefined) return;
    this.#due = undefined;
    this.#core.send(new Date(this.#at));
  }
}

/**
 * Makes a timer, like Go's `time.NewTimer`: `timer.channel` receives the time once, after
 * `duration` (milliseconds or a Go duration string); `stop()` and `reset()` cancel or restart
 * it. One timer reset per message is the cheap way to write a per-message timeout.
 */
export function timer(duration: number | string): Timer {
  return new Deadline(durationMs("timer", duration));
}

/**
 * A channel that receives the current `Date` once, after `duration` (milliseconds or a Go
 * duration string), like Go's `time.After`. It holds no Node timer unless someone is waiting on
 * it: an abandoned `after` costs nothing once collected and never delays exit.
 */
export function after(duration: number | string): Channel<Date> {
  return new Deadline(durationMs("after", duration)).channel;
}
