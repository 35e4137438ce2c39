// Interactive mode: a readline prompt on a terminal (line editing, history), and a screen that
// prints what arrives above the line being typed without disturbing it.
import * as readline from "node:readline";
import { HISTORY_SIZE, loadHistory, saveHistory } from "./history.js";
import type { Style } from "./style.js";

/**
 * Where interactive output goes. While a prompt is shown, each line is printed on the prompt's
 * row (which is cleared first) and the prompt, with what was typed so far, is drawn again below.
 */
export class Screen {
  #stdout: NodeJS.WritableStream;
  #rl: readline.Interface | undefined;

  constructor(stdout: NodeJS.WritableStream) {
    this.#stdout = stdout;
  }

  attach(rl: readline.Interface): void {
    this.#rl = rl;
  }

  /** Forgets the prompt and clears its row, so what follows starts on a clean line. */
  detach(): void {
    if (this.#rl === undefined) return;
    this.#rl = undefined;
    readline.clearLine(this.#stdout as NodeJS.WritableStream & { isTTY: true }, 0);
    readline.cursorTo(this.#stdout as NodeJS.WritableStream & { isTTY: true }, 0);
  }

  /** Prints one line on `stream` (stdout or stderr, both the terminal), keeping the prompt below it. */
  print(stream: NodeJS.WritableStream, line: string): void {
    const rl = this.#rl;
    if (rl === undefined) {
      stream.write(`${line}\n`);
      return;
    }
    readline.clearLine(this.#stdout as NodeJS.WritableStream & { isTTY: true }, 0);
    readline.cursorTo(this.#stdout as NodeJS.WritableStream & { isTTY: true }, 0);
    stream.write(`${line}\n`);
    rl.prompt(true);
  }
}

/** What the prompt reports. */
export interface PromptHandlers {
  /** A line was entered. */
  readonly line: (line: string) => void;
  /** Ctrl-C. */
  readonly interrupt: () => void;
  /** Ctrl-D on an empty line: input ended. */
  readonly end: () => void;
}

export interface PromptOptions {
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  readonly screen: Screen;
  readonly style: Style;
  /** The history file, or undefined for none. */
  readonly historyFile: string | undefined;
}

/** Starts the prompt; returns the function that stops it (without calling `end`). */
export function startPrompt(options: PromptOptions, handlers: PromptHandlers): () => void {
  const historyFile = options.historyFile;
  const rl = readline.createInterface({
    input: options.input,
    output: options.output,
    terminal: true,
    prompt: options.style.sent("> "),
    history: historyFile === undefined ? [] : loadHistory(historyFile),
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
  });
  let stopped = false;
  if (historyFile !== undefined) rl.on("history", (history: string[]) => saveHistory(historyFile, history));
  rl.on("line", (line) => {
    handlers.line(line);
    if (!stopped) rl.prompt();
  });
  rl.on("SIGINT", () => handlers.interrupt());
  rl.on("close", () => {
    if (stopped) return;
    stopped = true;
    options.screen.detach();
    handlers.end();
  });
  options.screen.attach(rl);
  rl.prompt();
  return () => {
    if (stopped) return;
    stopped = true;
    options.screen.detach();
    rl.close();
  };
}
