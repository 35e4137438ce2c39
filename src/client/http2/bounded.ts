import { failure, type WebSocketError } from "../../errors/errors.js";
import { formatDuration } from "../../options/duration.js";
import { describeUrl } from "../../policy/policy.js";
import { clock } from "../clock.js";

function canceledError(url: URL, phase: string, _signal: AbortSignal): WebSocketError {
  return failure("CANCELED", `connecting to ${describeUrl(url)} was canceled during the ${phase}`);
}

/** What bounds one step of an HTTP/2 dial: the dial's deadline and the caller's signal. */
export interface Bounds {
  readonly url: URL;
  /** When the dial must be done, on the monotonic clock (`clock()`). */
  readonly deadline: number;
  /** The dial_timeout, for the message. */
  readonly dialTimeout: number;
  readonly signal: AbortSignal | undefined;
}

/**
 * Awaits `work` unless the deadline passes first (DIAL_TIMEOUT) or the signal aborts (CANCELED),
 * naming `phase`; `onInterrupt` undoes what `work` was doing. Leaves no timer or listener behind.
 */
export function bounded<T>(
  work: Promise<T>,
  bounds: Bounds,
  phase: string,
  onInterrupt?: (error: WebSocketError) => void,
): Promise<T> {
  const { url, deadline, signal } = bounds;
  if (signal?.aborted) {
    const error = canceledError(url, phase, signal);
    onInterrupt?.(error);
    return Promise.reject(error);
  }
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = (): void => {
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const interrupt = (error: WebSocketError): void => {
      if (done) return;
      finish();
      onInterrupt?.(error);
      reject(error);
    };
    const onAbort = (): void => interrupt(canceledError(url, phase, signal!));
    const timer = setTimeout(
      () => {
        interrupt(
          failure(
            "DIAL_TIMEOUT",
            `dial to ${describeUrl(url)} timed out after ${formatDuration(bounds.dialTimeout)} (during the ${phase})`,
          ),
        );
      },
      Math.max(0, deadline - clock()),
    );
    signal?.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        if (done) return;
        finish();
        resolve(value);
      },
      (error: unknown) => {
        if (done) return;
        finish();
        reject(error);
      },
    );
  });
}
