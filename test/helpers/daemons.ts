import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Real proxies for the network tests, started on 127.0.0.1 from config files written here (never
 * the system's), on free ports, and stopped by `stop()` or when the test process exits, whatever
 * happens. squid is the HTTP CONNECT proxy, dante (`danted`) the SOCKS5 server.
 */

const SQUID = ["/usr/sbin/squid", "squid"];
const DANTED = ["/usr/sbin/danted", "/usr/sbin/sockd", "danted", "sockd"];

/** The first of `candidates` that can be run, or undefined. */
function which(candidates: readonly string[]): string | undefined {
  for (const candidate of candidates) {
    if (candidate.startsWith("/")) {
      if (existsSync(candidate)) return candidate;
      continue;
    }
    try {
      return execFileSync("sh", ["-c", `command -v ${candidate}`], { encoding: "utf8" }).trim() || undefined;
    } catch {
      // not installed under this name
    }
  }
  return undefined;
}

export const squidBinary = which(SQUID);
export const dantedBinary = which(DANTED);

/** A free TCP port on 127.0.0.1 (closed again before returning: the daemon binds it next). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Waits until something accepts TCP on `port`, or the process dies, or `ms` pass. */
async function waitForPort(port: number, child: ChildProcess, ms: number, log: () => string): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `the daemon exited (${child.exitCode ?? child.signalCode}) before listening:\n${log()}`,
      );
    }
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the daemon did not listen on ${port} within ${ms} ms:\n${log()}`);
}

/** A running daemon. */
export interface Daemon {
  readonly port: number;
  /** Stops the process (SIGTERM, then SIGKILL) and removes its directory. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

async function run(
  binary: string,
  args: string[],
  port: number,
  dir: string,
  logFile: string,
): Promise<Daemon> {
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"], detached: false });
  running.add(child);
  let output = "";
  child.stdout?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const log = (): string =>
    `${output}\n${existsSync(logFile) ? readFileSync(logFile, "utf8").slice(-2000) : ""}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 2000);
      await exited;
      clearTimeout(timer);
    }
    running.delete(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, child, 15_000, log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, stop };
}

/** A temporary directory the daemon's unprivileged user can write to. */
function daemonDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o777);
  return dir;
}

const isRoot = process.getuid?.() === 0;

/**
 * squid as an HTTP CONNECT proxy on 127.0.0.1. With `credentials` ("user:pass"), CONNECT needs
 * Basic authentication (checked by squid's own basic_ncsa_auth against an htpasswd file) and is
 * answered 407 without it.
 */
export async function startSquid(options: { credentials?: string } = {}): Promise<Daemon> {
  if (squidBinary === undefined) throw new Error("squid is not installed");
  const dir = daemonDir("wschan-squid-");
  const port = await freePort();
  const path = (name: string): string => join(dir, name);
  const lines = [
    `http_port 127.0.0.1:${port}`,
    `pid_filename ${path("squid.pid")}`,
    `cache_log ${path("cache.log")}`,
    "access_log none",
    "cache deny all",
    `coredump_dir ${dir}`,
    "netdb_filename none",
    "pinger_enable off",
    "shutdown_lifetime 0 seconds",
    "dns_v4_first on",
    // Every port may be tunnelled to: the tests' servers listen on random ones.
    "acl to_loopback dst 127.0.0.0/8",
  ];
  if (isRoot) lines.push("cache_effective_user proxy");
  if (options.credentials !== undefined) {
    const [user, pass] = options.credentials.split(":") as [string, string];
    const hash = execFileSync("openssl", ["passwd", "-apr1", pass], { encoding: "utf8" }).trim();
    writeFileSync(path("passwd"), `${user}:${hash}\n`, { mode: 0o644 });
    lines.push(
      `auth_param basic program /usr/lib/squid/basic_ncsa_auth ${path("passwd")}`,
      "auth_param basic realm wschan-test",
      "acl authed proxy_auth REQUIRED",
      "http_access allow to_loopback authed",
    );
  } else {
    lines.push("http_access allow to_loopback");
  }
  lines.push("http_access deny all");
  writeFileSync(path("squid.conf"), `${lines.join("\n")}\n`, { mode: 0o644 });
  return run(squidBinary, ["-N", "-f", path("squid.conf")], port, dir, path("cache.log"));
}

/** dante as a SOCKS5 server on 127.0.0.1 without authentication, tunnelling to loopback only. */
export async function startDante(): Promise<Daemon> {
  if (dantedBinary === undefined) throw new Error("dante-server (danted) is not installed");
  const dir = daemonDir("wschan-dante-");
  const port = await freePort();
  const path = (name: string): string => join(dir, name);
  const lines = [
    `logoutput: ${path("sockd.log")}`,
    `internal: 127.0.0.1 port = ${port}`,
    "external: 127.0.0.1",
    "socksmethod: none",
    "clientmethod: none",
    ...(isRoot ? ["user.unprivileged: nobody"] : []),
    "client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }",
    "socks pass { from: 127.0.0.0/8 to: 127.0.0.0/8 }",
  ];
  writeFileSync(path("sockd.conf"), `${lines.join("\n")}\n`, { mode: 0o644 });
  return run(
    dantedBinary,
    ["-f", path("sockd.conf"), "-p", path("sockd.pid"), "-N", "1"],
    port,
    dir,
    path("sockd.log"),
  );
}
