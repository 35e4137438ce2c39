import { invalid } from "../errors/errors.js";
import { parseDuration } from "../options/duration.js";

import type { Duration } from "../options/options.js";

export type { Duration };

/** `value` in milliseconds; INVALID when it is not a duration. */
export function toMs(value: Duration, name: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw invalid(`${name} must be a number of milliseconds or a duration such as "2s"`);
  return ms;
}

/** Resolves after `duration`: the test kit's "delay" step. */
export async function delay(duration: Duration): Promise<void> {
  const ms = toMs(duration, "delay");
  return new Promise((resolve) => setTimeout(resolve, ms));
}
