// A real pseudo-terminal for the CLI's interactive tests: `tmux` runs the command in a detached
// session on a private server socket; the test types keys and reads the screen.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Whether tmux can be run here (CI installs it; see .ci/run). */
export function haveTmux(): boolean {
  return spawnSync("tmux", ["-V"], { stdio: "ignore" }).status === 0;
}

/** Quotes one word for /bin/sh. */
function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export class Tty {
  readonly #socket: string;
  readonly #env: NodeJS.ProcessEnv;

  private constructor(socket: string, env: NodeJS.ProcessEnv) {
    this.#socket = socket;
    this.#env = env;
  }

  /**
   * Runs `argv` in a new 120x40 terminal. `env` is the environment of the tmux server and so of
   * the command; `unset` names variables removed from it. When the command exits the screen shows
   * "[exit N]" and the pane stays until `kill`.
   */
  static start(argv: readonly string[], env: NodeJS.ProcessEnv, unset: readonly string[] = []): Tty {
    // A socket in a directory of our own: tmux leaves its socket file behind when its server ends.
    const socket = join(mkdtempSync(join(tmpdir(), "wschan-tmux-")), "socket");
    const command = ["env", ...unset.flatMap((name) => ["-u", name]), ...argv.map(shellQuote)].join(" ");
    const tty = new Tty(socket, env);
    tty.#tmux([
      "new-session",
      "-d",
      "-s",
      "main",
      "-x",
      "120",
      "-y",
      "40",
      `${command}; echo "[exit $?]"; sleep 600`,
    ]);
    return tty;
  }

  #tmux(args: readonly string[]): string {
    return execFileSync("tmux", ["-S", this.#socket, ...args], {
      env: this.#env,
      encoding: "utf8",
      timeout: 20_000,
    });
  }

  /** Types keys: text, or tmux key names such as Enter, Left, Up, C-c, C-d. */
  keys(...keys: string[]): void {
    this.#tmux(["send-keys", "-t", "main", ...keys]);
  }

  /** Types text literally (no key names). */
  type(text: string): void {
    this.#tmux(["send-keys", "-t", "main", "-l", text]);
  }

  /** The visible screen and its scrollback, as text; with `escapes`, with its colours as SGR sequences. */
  screen(escapes = false): string {
    return this.#tmux(["capture-pane", "-p", "-J", "-S", "-200", "-t", "main", ...(escapes ? ["-e"] : [])]);
  }

  /** The pane's title, which an OSC sequence printed raw would change. */
  title(): string {
    return this.#tmux(["display-message", "-p", "-t", "main", "#{pane_title}"]).trim();
  }

  /** Resolves with the screen once it matches `pattern`; rejects after `ms`, showing the screen. */
  async waitFor(pattern: RegExp, ms = 20_000, escapes = false): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const text = this.screen(escapes);
      if (pattern.test(text)) return text;
      if (Date.now() > deadline) throw new Error(`the screen never matched ${pattern}:\n${text}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Ends the tmux server, and the command with it, and removes its socket. */
  kill(): void {
    spawnSync("tmux", ["-S", this.#socket, "kill-server"], {
      stdio: "ignore",
      env: this.#env,
      timeout: 20_000,
    });
    rmSync(join(this.#socket, ".."), { recursive: true, force: true });
  }
}
