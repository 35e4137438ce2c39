/**
 * The engine's clock: whole milliseconds since the process started, from the monotonic clock,
 * so that a change of the wall clock moves no deadline. Whole numbers below 2^31 (the first 24
 * days of a process) are small integers to V8: the engine keeps several times per connection,
 * and as small integers they are stored in the object itself rather than as a boxed double each.
 */
export function clock(): number {
  return Math.floor(performance.now());
}
