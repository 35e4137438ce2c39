import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./daemons.js";

/**
 * haproxy (the Debian package) on 127.0.0.1 as an HTTP/2 front end that accepts WebSockets over
 * HTTP/2 (RFC 8441, haproxy 2.4+) and forwards them to an HTTP/1.1 WebSocket server.
 */

/** haproxy's version as [major, minor], or undefined when it is not installed. */
export function haproxyVersion(): [number, number] | undefined {
  try {
    const out = execFileSync("haproxy", ["-v"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const match = /version (\d+)\.(\d+)/i.exec(out);
    return match === null ? undefined : [Number(match[1]), Number(match[2])];
  } catch {
    return undefined;
  }
}

/** Whether haproxy is installed and new enough for extended CONNECT on h2 front ends (2.4+). */
export function haveHaproxy(): boolean {
  const v = haproxyVersion();
  return v !== undefined && (v[0] > 2 || (v[0] === 2 && v[1] >= 4));
}

export interface Haproxy {
  readonly port: number;
  /** ws:// (prior knowledge) or wss:// (ALPN h2) URL of the front end. */
  readonly url: string;
  close(): Promise<void>;
}

export interface HaproxyOptions {
  /** The HTTP/1.1 WebSocket server behind it. */
  readonly backendPort: number;
  /** Certificate and key (PEM) for a TLS front end offering h2 and http/1.1 in ALPN; omitted: h2 with prior knowledge. */
  readonly tls?: { readonly cert: string; readonly key: string };
}

/** Starts haproxy with a config in a temporary directory; `close` kills it and removes the directory. */
export async function startHaproxy(options: HaproxyOptions): Promise<Haproxy> {
  const dir = mkdtempSync(join(tmpdir(), "wschan-haproxy-"));
  let child: ChildProcess | undefined;
  const cleanup = async (): Promise<void> => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child!.once("exit", () => resolve()));
      child.kill("SIGKILL");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    let bind = `bind 127.0.0.1:${port} proto h2`;
    if (options.tls !== undefined) {
      writeFileSync(join(dir, "server.pem"), `${options.tls.cert}\n${options.tls.key}\n`);
      bind = `bind 127.0.0.1:${port} ssl crt ${join(dir, "server.pem")} alpn h2,http/1.1`;
    }
    const config = [
      "global",
      "  maxconn 4096",
      "defaults",
      "  mode http",
      "  timeout connect 5s",
      "  timeout client 60s",
      "  timeout server 60s",
      "  timeout tunnel 60s",
      "frontend fe",
      `  ${bind}`,
      "  default_backend be",
      "backend be",
      `  server ws1 127.0.0.1:${options.backendPort}`,
      "",
    ].join("\n");
    writeFileSync(join(dir, "haproxy.cfg"), config);
    const started = spawn("haproxy", ["-db", "-f", join(dir, "haproxy.cfg")], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    child = started;
    // Never outlive the test process, even when it dies without running its teardown.
    const killOnExit = (): void => {
      started.kill("SIGKILL");
    };
    process.once("exit", killOnExit);
    started.once("exit", () => process.off("exit", killOnExit));
    let stderr = "";
    started.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const deadline = Date.now() + 5000;
    for (;;) {
      if (started.exitCode !== null) throw new Error(`haproxy exited: ${stderr}`);
      if (await accepts(port)) break;
      if (Date.now() > deadline) throw new Error(`haproxy did not listen within 5 s: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return {
      port,
      url: `${options.tls === undefined ? "ws" : "wss"}://127.0.0.1:${port}`,
      close: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
