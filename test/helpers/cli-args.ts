import { type CliOptions, parseArgs } from "../../src/cli/args.js";

/** The options `argv` parses to; throws when it is a usage error or a help/version request. */
export function options(argv: string[]): CliOptions {
  const result = parseArgs(argv);
  if (result.kind !== "run") throw new Error(`expected options, got ${JSON.stringify(result)}`);
  return result.options;
}

/** The usage error `argv` gives; throws when it parses. */
export function usageError(argv: string[]): string {
  const result = parseArgs(argv);
  if (result.kind !== "error") throw new Error(`expected a usage error, got ${JSON.stringify(result)}`);
  return result.message;
}
