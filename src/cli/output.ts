// Where each event of a run is written: messages on stdout (escaped lines, raw bytes or JSON),
// notes and errors on stderr, or everything through the interactive screen with prefixes and
// colour.
import type { Client, CloseInfo, Message } from "../client/client.js";
import { formatDuration } from "../options/duration.js";
import type { CliOptions } from "./args.js";
import { escapeText } from "./escape.js";
import {
  type CliEvent,
  formatBinary,
  formatClose,
  formatError,
  formatMessage,
  formatOpen,
  formatRtt,
  jsonEvent,
  rawMessage,
} from "./format.js";
import type { Screen } from "./interactive.js";
import type { Style } from "./style.js";

/** The streams of a run. */
export interface OutputStreams {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** The interactive screen and its colours, in interactive mode. */
export interface Terminal {
  readonly screen: Screen;
  readonly style: Style;
}

export class Output {
  #options: CliOptions;
  #io: OutputStreams;
  #terminal: Terminal | undefined;
  /** Set once stdout is gone (the reader of a pipe exited): nothing more is written there. */
  broken = false;

  constructor(options: CliOptions, io: OutputStreams, terminal: Terminal | undefined) {
    this.#options = options;
    this.#io = io;
    this.#terminal = terminal;
  }

  /** Writes to stdout; resolves when the stream can take more, so a slow reader slows the server down. */
  #write(data: string | Buffer): Promise<void> | undefined {
    if (this.broken) return undefined;
    const stdout = this.#io.stdout;
    if (stdout.write(data)) return undefined;
    return new Promise((resolve) => {
      const done = (): void => {
        stdout.off("drain", done);
        stdout.off("error", done);
        stdout.off("close", done);
        resolve();
      };
      stdout.on("drain", done);
      stdout.on("error", done);
      stdout.on("close", done);
    });
  }

  #json(event: CliEvent): Promise<void> | undefined {
    return this.#write(`${jsonEvent(event, new Date(), this.#options.binary)}\n`);
  }

  /** A line on stderr (or the screen); `always` prints it even with --quiet. */
  #note(line: string, always = false, error = false): void {
    if (!always && this.#options.quiet) return;
    const terminal = this.#terminal;
    if (terminal === undefined) this.#io.stderr.write(`${line}\n`);
    else
      terminal.screen.print(this.#io.stderr, error ? terminal.style.error(line) : terminal.style.note(line));
  }

  open(client: Client): void {
    if (this.#options.json) {
      this.#json({
        event: "open",
        url: client.url,
        protocol: client.protocol,
        extensions: client.extensions,
      });
    } else {
      this.#note(formatOpen(client.url, client.protocol, client.extensions));
      if (this.#terminal !== undefined)
        this.#note("wschan: type /help for commands; Ctrl-C or Ctrl-D closes");
    }
  }

  message(message: Message): Promise<void> | undefined {
    if (this.#options.json) return this.#json({ event: "message", message });
    if (this.#options.raw) return this.#write(rawMessage(message));
    const terminal = this.#terminal;
    if (terminal === undefined) return this.#write(`${formatMessage(message, this.#options.binary)}\n`);
    terminal.screen.print(
      this.#io.stdout,
      `${terminal.style.received("<")} ${formatMessage(message, this.#options.binary)}`,
    );
    return undefined;
  }

  /** Shows a message sent by -x or a slash command (interactive mode only: typed lines are already on screen). */
  sent(text: string | Buffer): void {
    const terminal = this.#terminal;
    if (terminal === undefined) return;
    const shown = typeof text === "string" ? escapeText(text) : formatBinary(text, this.#options.binary);
    terminal.screen.print(this.#io.stdout, `${terminal.style.sent(">")} ${shown}`);
  }

  /** A ping we sent (shown with -P). */
  ping(data: string): void {
    if (this.#options.json) {
      this.#json({ event: "ping", data });
      return;
    }
    const terminal = this.#terminal;
    const text = `ping${data === "" ? "" : ` "${escapeText(data)}"`}`;
    if (terminal === undefined) this.#note(`wschan: ${text}`, true);
    else terminal.screen.print(this.#io.stdout, terminal.style.control(`> [${text}]`));
  }

  /** The pong answering our ping, with its round trip. */
  pong(rtt: number): void {
    if (this.#options.json) {
      this.#json({ event: "pong", rtt_ms: Math.round(rtt * 1000) / 1000 });
      return;
    }
    const terminal = this.#terminal;
    if (terminal === undefined) this.#note(`wschan: pong after ${formatRtt(rtt)}`, true);
    else terminal.screen.print(this.#io.stdout, terminal.style.control(`< [pong after ${formatRtt(rtt)}]`));
  }

  /** Interactive help or a slash-command problem, printed as is. */
  info(text: string, error = false): void {
    const terminal = this.#terminal;
    if (terminal === undefined) this.#io.stderr.write(`${text}\n`);
    else for (const line of text.split("\n")) this.#note(line, true, error);
  }

  error(error: unknown): void {
    if (this.#options.json) this.#json({ event: "error", error });
    else this.#note(formatError(error), true, true);
  }

  close(info: CloseInfo, failed: boolean): void {
    if (this.#options.json) this.#json({ event: "close", info });
    else this.#note(formatClose(info), failed, failed);
  }

  /** The end of a run that gave up on the closing handshake (the peer never answered our Close). */
  abandoned(code: number, waited: number): void {
    const info: CloseInfo = { code, reason: "", clean: false };
    if (this.#options.json) this.#json({ event: "close", info });
    else
      this.#note(
        `wschan: closed: sent Close ${code}, no answer within ${formatDuration(waited)}; gave up`,
        true,
        true,
      );
  }
}
