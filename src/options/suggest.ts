/**
 * "Did you mean": the known name an unknown option name was probably meant to be. Option names
 * are snake_case (`read_timeout`) and TLS fields camelCase (`rejectUnauthorized`), as Node has
 * them, so the likeliest slip is the other spelling; after that, a typo of one or two letters.
 */

/** The name folded for comparison: lower case, without "_" or "-". */
function fold(name: string): string {
  return name.toLowerCase().replace(/[_-]/g, "");
}

/** Levenshtein distance, bounded inputs (option names are short). */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + cost));
    }
    previous = row;
  }
  return previous[b.length]!;
}

/** The known name `name` was most likely meant to be, or undefined when none is close. */
export function suggestName(name: string, known: Iterable<string>): string | undefined {
  if (name.length > 64) return undefined;
  const folded = fold(name);
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = distance(folded, fold(candidate));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  // Two edits for long names, one for short ones: "tsl" is not a misspelling of "ws".
  const allowed = folded.length >= 6 ? 2 : 1;
  return bestDistance <= allowed ? best : undefined;
}

/** The message for an unknown field: its name, and the suggestion when there is one. */
export function unknownField(what: string, name: string, known: Iterable<string>): string {
  const suggestion = suggestName(name, known);
  const hint = suggestion === undefined ? "" : `; did you mean ${JSON.stringify(suggestion)}?`;
  return `unknown ${what} ${JSON.stringify(name)}${hint}`;
}
