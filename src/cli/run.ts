// The I/O of `wschan`: connects, pumps standard input to the connection and the connection to
// standard output, keeps the connection alive, closes it, and says how it went in the exit code.
import { readFileSync } from "node:fs";
import * as readline from "node:readline";
import { after, type Channel, select } from "../channel/channel.js";
import type { Client, CloseInfo, Message } from "../client/client.js";
import { connect } from "../client/connect.js";
import { WebSocketError } from "../errors/errors.js";
import type { ConnectOptions } from "../options/options.js";
import { type CliOptions, parseArgs } from "./args.js";
import { EXIT, exitCodeForClose, exitCodeForError } from "./exit.js";
import {
  type CliEvent,
  formatClose,
  formatError,
  formatMessage,
  formatOpen,
  helpText,
  jsonEvent,
} from "./format.js";

/** The streams and process hooks the CLI uses; the defaults are the process's own. */
export interface CliIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Called for a second Ctrl-C, or one before the connection is open: leave at once. */
  readonly exit: (code: number) => void;
}

/** Sends allowed in flight before reading more input, so a fast pipe cannot queue without bound. */
const MAX_SENDS_IN_FLIGHT = 64;

const noop = (): void => {};

/** The package's version, read from its package.json (two levels up from both src/cli and dist/cli). */
export function version(): string {
  const text = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
  return (JSON.parse(text) as { version: string }).version;
}

/** Runs the CLI with the arguments after `wschan`; resolves with the exit code. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseArgs(argv);
  switch (parsed.kind) {
    case "help":
      io.stdout.write(helpText(version()));
      return EXIT.OK;
    case "version":
      io.stdout.write(`${version()}\n`);
      return EXIT.OK;
    case "error":
      io.stderr.write(`wschan: ${parsed.message}\nTry "wschan --help" for usage.\n`);
      return EXIT.USAGE;
    case "run":
      return session(parsed.options, io);
  }
}

function connectOptions(o: CliOptions): ConnectOptions {
  return {
    headers: o.headers,
    protocols: o.protocols,
    compression: o.compression,
    ...(o.dialTimeout === undefined ? {} : { dial_timeout: o.dialTimeout }),
    ...(o.readTimeout === undefined ? {} : { read_timeout: o.readTimeout }),
    ...(o.writeTimeout === undefined ? {} : { write_timeout: o.writeTimeout }),
    ...(o.readLimit === undefined ? {} : { read_limit: o.readLimit }),
    ...(o.insecure ? { tls: { rejectUnauthorized: false } } : {}),
  };
}

/** Writes events as plain lines (messages on stdout, notes and errors on stderr) or as JSON lines on stdout. */
class Output {
  #options: CliOptions;
  #io: CliIo;
  /** Set once stdout is gone (the reader of a pipe exited): nothing more is written there. */
  broken = false;

  constructor(options: CliOptions, io: CliIo) {
    this.#options = options;
    this.#io = io;
  }

  /** Writes to stdout; resolves when the stream can take more, so a slow reader slows the server down. */
  #out(line: string): Promise<void> | undefined {
    if (this.broken) return undefined;
    const stdout = this.#io.stdout;
    if (stdout.write(`${line}\n`)) return undefined;
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
    return this.#out(jsonEvent(event, new Date(), this.#options.binary));
  }

  #note(line: string, always = false): void {
    if (always || !this.#options.quiet) this.#io.stderr.write(`${line}\n`);
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
    }
  }

  message(message: Message): Promise<void> | undefined {
    if (this.#options.json) return this.#json({ event: "message", message });
    return this.#out(formatMessage(message, this.#options.binary));
  }

  error(error: unknown): void {
    if (this.#options.json) this.#json({ event: "error", error });
    else this.#note(formatError(error), true);
  }

  close(info: CloseInfo, failed: boolean): void {
    if (this.#options.json) this.#json({ event: "close", info });
    else this.#note(formatClose(info), failed);
  }
}

async function session(options: CliOptions, io: CliIo): Promise<number> {
  const out = new Output(options, io);
  if (options.insecure) {
    io.stderr.write(
      "wschan: warning: --insecure: the server's TLS certificate is not verified; use this only with test servers\n",
    );
  }

  let client: Client | undefined;
  let interrupts = 0;
  let stopInput = noop;
  /** The code of the Close we started with, if we started the closing handshake. */
  let sentCode: number | undefined;
  let finished = false;

  const startClose = (code: number, reason: string): void => {
    if (finished || client === undefined || sentCode !== undefined) return;
    sentCode = code;
    client.close(code, reason).catch(noop);
  };
  const onSignal = (): void => {
    interrupts++;
    if (client === undefined || interrupts > 1) {
      io.exit(EXIT.INTERRUPTED);
      return;
    }
    stopInput();
    startClose(options.close.code, options.close.reason);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const onStdoutError = (error: NodeJS.ErrnoException): void => {
    // The reader went away (`wschan ... | head -1`): close as if input had ended.
    out.broken = true;
    if (error.code !== "EPIPE") io.stderr.write(`wschan: cannot write output: ${error.message}\n`);
    stopInput();
    startClose(options.close.code, options.close.reason);
  };
  io.stdout.on("error", onStdoutError);

  try {
    try {
      client = await connect(options.url, connectOptions(options));
    } catch (error) {
      out.error(error);
      return exitCodeForError(error);
    }
    const c = client;
    out.open(c);

    if (options.input) {
      const rl = readline.createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY });
      let inputStopped = false;
      stopInput = () => {
        inputStopped = true;
        rl.close();
      };
      void pumpInput(rl, c, () => inputStopped || finished).then(() => {
        if (!inputStopped) startClose(options.close.code, options.close.reason);
      });
    }

    let pingFailure: WebSocketError | undefined;
    const onPingError = (error: unknown): void => {
      if (finished || pingFailure !== undefined) return;
      if (!(error instanceof WebSocketError) || error.kind !== "TIMEOUT") return;
      pingFailure = error;
      out.error(new WebSocketError("TIMEOUT", `keep-alive: ${error.message}`, { retryable: true }));
      stopInput();
      startClose(1001, "keep-alive ping timed out");
    };
    const ping = options.ping;
    const messages = c.channel();
    let heartbeat: Channel<Date> | undefined = ping === undefined ? undefined : after(ping);
    for (;;) {
      let message: Message;
      if (heartbeat === undefined) {
        const [value, ok] = await messages.receive();
        if (!ok) break;
        message = value;
      } else {
        const r = await select([messages.case_receive(), heartbeat.case_receive()]);
        if (r.channel === (heartbeat as Channel<unknown>)) {
          c.ping().catch(onPingError);
          heartbeat = after(ping!);
          continue;
        }
        if (!r.ok) break;
        message = r.value as Message;
      }
      const pending = out.message(message);
      if (pending !== undefined) await pending;
    }

    const info = await c.closed;
    finished = true;
    stopInput();
    const code = pingFailure === undefined ? exitCodeForClose(info, sentCode) : EXIT.TIMEOUT;
    if (info.error !== undefined && pingFailure === undefined) out.error(info.error);
    out.close(info, code !== EXIT.OK);
    return code;
  } finally {
    finished = true;
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    io.stdout.off("error", onStdoutError);
  }
}

/** Sends each line of input as a text message, with a bounded number in flight; resolves when input ends. */
async function pumpInput(rl: readline.Interface, client: Client, stopped: () => boolean): Promise<void> {
  const inflight = new Set<Promise<void>>();
  try {
    for await (const line of rl) {
      if (stopped()) break;
      // A failed send means the connection is failing: how it ended is reported from `closed`.
      const sent: Promise<void> = client.send(line).then(noop, noop);
      inflight.add(sent);
      void sent.then(() => inflight.delete(sent));
      if (inflight.size >= MAX_SENDS_IN_FLIGHT) await Promise.race(inflight);
    }
  } finally {
    rl.close();
  }
}
