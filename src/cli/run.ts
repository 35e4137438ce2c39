// The I/O of `wschan`: connects, pumps input (a pipe, or the interactive prompt) to the
// connection and the connection to the output, pings, closes, and says how it went in the exit
// code.
import { readFileSync } from "node:fs";
import * as readline from "node:readline";
import type { Client, CloseInfo } from "../client/client.js";
import { connect } from "../client/connect.js";
import { failure, type WebSocketError } from "../errors/errors.js";
import { formatDuration } from "../options/duration.js";
import type { ConnectOptions, TlsOptions } from "../options/options.js";
import type { Policy } from "../policy/policy.js";
import { type CliOptions, parseArgs } from "./args.js";
import { COMMAND_HELP, parseCommand } from "./commands.js";
import { EXIT, exitCodeForClose, exitCodeForError } from "./exit.js";
import { helpText } from "./help.js";
import { historyPath } from "./history.js";
import { Screen, startPrompt } from "./interactive.js";
import { Output } from "./output.js";
import { Pinger } from "./pinger.js";
import { COLOR_STYLE, NO_STYLE, wantsColor } from "./style.js";

/** The streams and process hooks the CLI uses; the defaults are the process's own. */
export interface CliIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Called for a second Ctrl-C, or one before the connection is open: leave at once. */
  readonly exit: (code: number) => void;
  /** The environment (NO_COLOR, WSCHAN_NO_HISTORY); default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
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

class FileError extends Error {}

function readPem(flag: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new FileError(`${flag} ${path}: ${(error as Error).message}`);
  }
}

/** The library's options for the flags given; reads the TLS files (FileError when one cannot be read). */
export function connectOptions(o: CliOptions, env: NodeJS.ProcessEnv = {}): ConnectOptions {
  const tls: { -readonly [K in keyof TlsOptions]: TlsOptions[K] } = {};
  if (o.tls.ca.length > 0) tls.ca = o.tls.ca.map((path) => readPem("--ca", path));
  if (o.tls.cert !== undefined) tls.cert = readPem("--cert", o.tls.cert);
  if (o.tls.key !== undefined) tls.key = readPem("--key", o.tls.key);
  // Read from the environment, never from argv, where other users of the machine could see it.
  const passphrase = env.WSCHAN_KEY_PASSPHRASE;
  if (o.tls.key !== undefined && passphrase !== undefined) tls.passphrase = passphrase;
  if (o.tls.servername !== undefined) tls.servername = o.tls.servername;
  if (o.tls.minVersion !== undefined) tls.minVersion = o.tls.minVersion;
  if (o.insecure) tls.rejectUnauthorized = false;
  const urls = {
    ...(o.allow.length === 0 ? {} : { allow: o.allow }),
    ...(o.deny.length === 0 ? {} : { deny: o.deny }),
  };
  const policy: Policy = {
    ...(o.privateNetworks ? {} : { private_networks: false }),
    ...(Object.keys(urls).length === 0 ? {} : { urls }),
  };
  return {
    headers: o.headers,
    protocols: o.protocols,
    compression: o.compression,
    ...(o.compressionThreshold === undefined ? {} : { compression_threshold: o.compressionThreshold }),
    ...(o.dialTimeout === undefined ? {} : { dial_timeout: o.dialTimeout }),
    ...(o.readTimeout === undefined ? {} : { read_timeout: o.readTimeout }),
    ...(o.writeTimeout === undefined ? {} : { write_timeout: o.writeTimeout }),
    ...(o.readLimit === undefined ? {} : { read_limit: o.readLimit }),
    ...(o.keepalive === undefined ? {} : { keepalive: o.keepalive }),
    ...(o.keepaliveTimeout === undefined ? {} : { keepalive_timeout: o.keepaliveTimeout }),
    ...(Object.keys(tls).length === 0 ? {} : { tls }),
    ...(o.proxy === undefined ? {} : { proxy: o.proxy }),
    ...(o.unixSocket === undefined ? {} : { unix_socket: o.unixSocket }),
    ...(o.happyEyeballsDelay === undefined ? {} : { happy_eyeballs_delay: o.happyEyeballsDelay }),
    ...(o.http2 === undefined ? {} : { http2: o.http2 }),
    ...(Object.keys(policy).length === 0 ? {} : { policy }),
  };
}

function isTty(stream: NodeJS.ReadableStream | NodeJS.WritableStream): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true;
}

/** How long to wait for the peer's Close after a ping went unanswered: the pong wait, within 1-5 s. */
function closeGrace(pongWait: number): number {
  return Math.min(Math.max(pongWait, 1000), 5000);
}

async function session(options: CliOptions, io: CliIo): Promise<number> {
  const env = io.env ?? process.env;
  let connectOpts: ConnectOptions;
  try {
    connectOpts = connectOptions(options, env);
  } catch (error) {
    if (!(error instanceof FileError)) throw error;
    io.stderr.write(`wschan: cannot read ${error.message}\n`);
    return EXIT.USAGE;
  }
  const interactive = options.input && !options.json && !options.raw && isTty(io.stdin) && isTty(io.stdout);
  const screen = new Screen(io.stdout);
  const style = interactive && wantsColor(env, options.color, true) ? COLOR_STYLE : NO_STYLE;
  const out = new Output(options, io, interactive ? { screen, style } : undefined);
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
  let waitTimer: NodeJS.Timeout | undefined;

  const startClose = (code: number, reason: string): void => {
    if (finished || client === undefined || sentCode !== undefined) return;
    sentCode = code;
    client.close(code, reason).catch(noop);
  };
  const closeAsAsked = (): void => {
    stopInput();
    startClose(options.close.code, options.close.reason);
  };
  const interrupt = (): void => {
    interrupts++;
    if (client === undefined || interrupts > 1) {
      io.exit(EXIT.INTERRUPTED);
      return;
    }
    closeAsAsked();
  };
  process.on("SIGINT", interrupt);
  process.on("SIGTERM", interrupt);
  const onStdoutError = (error: NodeJS.ErrnoException): void => {
    // The reader went away (`wschan ... | head -1`): close as if input had ended.
    out.broken = true;
    if (error.code !== "EPIPE") io.stderr.write(`wschan: cannot write output: ${error.message}\n`);
    closeAsAsked();
  };
  io.stdout.on("error", onStdoutError);
  /** Input is over: close now, after --wait, or (--wait forever) when the server does. */
  const inputEnded = (): void => {
    const wait = options.wait;
    if (wait === undefined) startClose(options.close.code, options.close.reason);
    else if (wait !== Number.POSITIVE_INFINITY) {
      waitTimer = setTimeout(() => startClose(options.close.code, options.close.reason), wait);
    }
  };

  let pinger: Pinger | undefined;
  try {
    try {
      client = await connect(options.url, connectOpts);
    } catch (error) {
      out.error(error);
      return exitCodeForError(error, "connect");
    }
    const c = client;
    out.open(c);

    for (const text of options.execute) {
      out.sent(text);
      c.send(text).catch(noop);
    }

    if (!options.input) {
      if (options.wait !== undefined) inputEnded();
    } else if (interactive) {
      stopInput = startPrompt(
        {
          input: io.stdin,
          output: io.stdout,
          screen,
          style,
          historyFile: historyPath(options.history, options.historyFile, env),
        },
        {
          line: (line) => command(line),
          interrupt,
          end: inputEnded,
        },
      );
    } else {
      let inputStopped = false;
      const pump = options.binaryStdin ? pumpBinary(io.stdin, c) : pumpText(io.stdin, c);
      stopInput = () => {
        inputStopped = true;
        pump.stop();
      };
      void pump.done.then(() => {
        if (!inputStopped && !finished) inputEnded();
      });
    }

    /** One line typed at the prompt. */
    function command(line: string): void {
      const c = client!;
      const parsed = parseCommand(line);
      switch (parsed.kind) {
        case "send":
          if (options.binaryStdin) c.send(Buffer.from(parsed.text, "utf8")).catch(noop);
          else c.send(parsed.text).catch((error: unknown) => out.error(error));
          break;
        case "binary":
          out.sent(parsed.data);
          c.send(parsed.data).catch(noop);
          break;
        case "ping": {
          const started = performance.now();
          out.ping(parsed.data ?? "");
          c.ping(parsed.data).then(
            () => out.pong(performance.now() - started),
            (error: unknown) => {
              if (!finished) out.error(error);
            },
          );
          break;
        }
        case "close":
          stopInput();
          startClose(parsed.code ?? options.close.code, parsed.reason);
          break;
        case "quit":
          closeAsAsked();
          break;
        case "help":
          out.info(COMMAND_HELP);
          break;
        case "error":
          out.info(`wschan: ${parsed.message}`, true);
          break;
      }
    }

    let pingFailure: WebSocketError | undefined;
    let gaveUp: Promise<number> = new Promise(noop);
    if (options.ping !== undefined) {
      const pongWait = options.pingTimeout ?? options.readTimeout ?? options.ping;
      const showPing = options.showPingPong;
      const showPong = options.showPingPong || options.printPingRtts;
      gaveUp = new Promise<number>((resolve) => {
        pinger = new Pinger(c, options.ping!, pongWait, {
          sent: () => {
            if (showPing) out.ping("");
          },
          pong: (rtt) => {
            if (showPong) out.pong(rtt);
          },
          timeout: () => {
            if (finished) return;
            pingFailure = failure("PING_TIMEOUT", `keep-alive: no pong within ${formatDuration(pongWait)}`);
            out.error(pingFailure);
            stopInput();
            // A Close can still be sent: the peer may be alive but not answering pings. If it does
            // not answer the Close either, give up after a short grace instead of the 5 s close timeout.
            startClose(1001, "keep-alive ping timed out");
            const grace = closeGrace(pongWait);
            setTimeout(() => resolve(grace), grace).unref();
          },
        });
      });
    }

    let onceDone = false;
    const receiving = (async (): Promise<CloseInfo> => {
      for await (const message of c.channel()) {
        if (onceDone) continue;
        const pending = out.message(message);
        if (pending !== undefined) await pending;
        if (options.once) {
          onceDone = true;
          closeAsAsked();
        }
      }
      return c.closed;
    })();

    const ended = await Promise.race([receiving, gaveUp]);
    finished = true;
    stopInput();
    if (typeof ended === "number") {
      out.abandoned(1001, ended);
      return EXIT.TIMEOUT;
    }
    const code = pingFailure === undefined ? exitCodeForClose(ended, sentCode) : EXIT.TIMEOUT;
    if (ended.error !== undefined && pingFailure === undefined) out.error(ended.error);
    out.close(ended, code !== EXIT.OK);
    return code;
  } finally {
    finished = true;
    pinger?.stop();
    clearTimeout(waitTimer);
    process.off("SIGINT", interrupt);
    process.off("SIGTERM", interrupt);
    io.stdout.off("error", onStdoutError);
  }
}

/** An input pump: `done` resolves when input ends; `stop` stops reading. */
interface Pump {
  readonly done: Promise<void>;
  readonly stop: () => void;
}

/** Sends with a bounded number in flight: resolves when another send may start. */
class Inflight {
  #sends = new Set<Promise<void>>();

  async add(send: Promise<boolean>): Promise<void> {
    // A failed send means the connection is failing: how it ended is reported from `closed`.
    const sent: Promise<void> = send.then(noop, noop);
    this.#sends.add(sent);
    void sent.then(() => this.#sends.delete(sent));
    if (this.#sends.size >= MAX_SENDS_IN_FLIGHT) await Promise.race(this.#sends);
  }
}

/** Sends each line of input as a text message. */
function pumpText(stdin: NodeJS.ReadableStream, client: Client): Pump {
  const rl = readline.createInterface({ input: stdin, crlfDelay: Number.POSITIVE_INFINITY });
  let stopped = false;
  const done = (async (): Promise<void> => {
    const inflight = new Inflight();
    try {
      for await (const line of rl) {
        if (stopped) break;
        await inflight.add(client.send(line));
      }
    } finally {
      rl.close();
    }
  })();
  return {
    done,
    stop: () => {
      stopped = true;
      rl.close();
    },
  };
}

/** Sends each line of input (its bytes, without the "\n") as a binary message. */
function pumpBinary(stdin: NodeJS.ReadableStream, client: Client): Pump {
  let stopped = false;
  const done = (async (): Promise<void> => {
    const inflight = new Inflight();
    let pending: Buffer[] = [];
    for await (const chunk of stdin as AsyncIterable<Buffer | string>) {
      if (stopped) return;
      let bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
      for (let nl = bytes.indexOf(10); nl >= 0; nl = bytes.indexOf(10)) {
        pending.push(bytes.subarray(0, nl));
        const line = Buffer.concat(pending);
        pending = [];
        bytes = bytes.subarray(nl + 1);
        await inflight.add(client.send(line));
        if (stopped) return;
      }
      if (bytes.length > 0) pending.push(bytes);
    }
    if (pending.length > 0 && !stopped) await inflight.add(client.send(Buffer.concat(pending)));
  })();
  return {
    done,
    stop: () => {
      stopped = true;
      stdin.pause();
    },
  };
}
