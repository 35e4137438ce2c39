// Colours for interactive mode (SGR sequences), or none: `NO_COLOR`, `--no-color` and output that
// is not a terminal all turn them off.

/** How the parts of an interactive session are painted; each function returns its text wrapped or as is. */
export interface Style {
  readonly sent: (text: string) => string;
  readonly received: (text: string) => string;
  readonly control: (text: string) => string;
  readonly note: (text: string) => string;
  readonly error: (text: string) => string;
}

function sgr(open: number, close: number): (text: string) => string {
  return (text) => `\u001b[${open}m${text}\u001b[${close}m`;
}

const plain = (text: string): string => text;

export const NO_STYLE: Style = Object.freeze({
  sent: plain,
  received: plain,
  control: plain,
  note: plain,
  error: plain,
});

export const COLOR_STYLE: Style = Object.freeze({
  sent: sgr(32, 39), // green
  received: sgr(36, 39), // cyan
  control: sgr(35, 39), // magenta
  note: sgr(2, 22), // dim
  error: sgr(31, 39), // red
});

/** Whether colour is wanted: https://no-color.org says any non-empty NO_COLOR turns it off. */
export function wantsColor(env: NodeJS.ProcessEnv, flag: boolean, tty: boolean): boolean {
  return flag && tty && (env.NO_COLOR ?? "") === "";
}
