import { isIP } from "node:net";
import { canonicalIp } from "../policy/address.js";
import { ipv6Bytes } from "./socks5.js";

/**
 * Which proxy the environment names for a WebSocket URL, the way curl and Go read it. Pure: the
 * environment is a parameter.
 *
 * Precedence, first set and non-empty wins (each name in lower case, then upper case):
 * - `wss:` URLs: `wss_proxy`, `https_proxy`, `all_proxy`;
 * - `ws:` URLs: `ws_proxy`, `http_proxy`, `all_proxy`.
 * Then `no_proxy` (lower case first, else `NO_PROXY`) can exempt the URL's host. `localhost`,
 * `*.localhost` and loopback addresses always go direct, as in Go.
 */

/** The environment, as `process.env` has it. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** The proxy the environment names, and the variable it came from (for messages). */
export interface EnvProxy {
  readonly url: string;
  readonly variable: string;
}

/** Variables to look at, in order, each in lower case then upper case. */
const WSS_NAMES = ["wss_proxy", "WSS_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"];
const WS_NAMES = ["ws_proxy", "WS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"];
const NO_PROXY_NAMES = ["no_proxy", "NO_PROXY"];

/** The first of `names` set to something other than blanks. Runs on every dial: no array or copy per call. */
function read(env: Environment, names: readonly string[]): { value: string; variable: string } | undefined {
  for (let i = 0; i < names.length; i++) {
    const variable = names[i]!;
    const value = env[variable]?.trim();
    if (value !== undefined && value !== "") return { value, variable };
  }
  return undefined;
}

/**
 * The proxy for a connection to `host`:`port` with `scheme` ("ws:" or "wss:"), or undefined to
 * go direct. `host` is a name or an IP address without brackets.
 */
export function proxyFromEnv(
  env: Environment,
  scheme: string,
  host: string,
  port: number,
): EnvProxy | undefined {
  const found = read(env, scheme === "wss:" ? WSS_NAMES : WS_NAMES);
  if (found === undefined) return undefined;
  if (alwaysDirect(host)) return undefined;
  const noProxy = read(env, NO_PROXY_NAMES);
  if (noProxy !== undefined && noProxyMatches(noProxy.value, host, port)) return undefined;
  // A bare host:port, as curl accepts it, is an HTTP proxy.
  const url = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(found.value) ? found.value : `http://${found.value}`;
  return { url, variable: found.variable };
}

function alwaysDirect(host: string): boolean {
  const name = host.toLowerCase().replace(/\.+$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  if (isIP(host) === 0) return false;
  const ip = canonicalIp(host);
  return isIP(ip) === 4 ? ip.startsWith("127.") : sameIp(ip, "::1");
}

/**
 * Whether a `NO_PROXY` list exempts `host`:`port`. Entries are separated by commas or spaces:
 * `*` (everything), an IP address, a CIDR block (`10.0.0.0/8`, `fd00::/8`), a name (that name and
 * every name under it), `.name` or `*.name` (only the names under it); any entry may end in
 * `:port`, which limits it to that port. Case does not matter.
 */
export function noProxyMatches(list: string, host: string, port: number): boolean {
  const name = host.toLowerCase().replace(/\.+$/, "");
  const hostIp = isIP(name) === 0 ? undefined : canonicalIp(name);
  for (const raw of list.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    if (entry === "*") return true;
    const { base, entryPort } = splitPort(entry);
    if (entryPort !== undefined && entryPort !== port) continue;
    if (hostIp !== undefined) {
      if (base.includes("/")) {
        if (inCidr(hostIp, base)) return true;
      } else if (isIP(base) !== 0 && sameIp(canonicalIp(base), hostIp)) {
        return true;
      }
      continue;
    }
    const domain = base.startsWith("*.") ? base.slice(1) : base;
    if (domain.startsWith(".")) {
      if (name.endsWith(domain)) return true;
    } else if (name === domain || name.endsWith(`.${domain}`)) {
      return true;
    }
  }
  return false;
}

function splitPort(entry: string): { base: string; entryPort: number | undefined } {
  if (entry.startsWith("[")) {
    const end = entry.indexOf("]");
    const rest = entry.slice(end + 1);
    const base = entry.slice(1, end);
    return { base, entryPort: rest.startsWith(":") ? Number(rest.slice(1)) : undefined };
  }
  // One colon is a port; several make an IPv6 address (with or without a prefix length).
  const colons = entry.split(":").length - 1;
  if (colons === 1) {
    const [base, p] = entry.split(":") as [string, string];
    return { base, entryPort: /^\d+$/.test(p) ? Number(p) : undefined };
  }
  return { base: entry, entryPort: undefined };
}

/** Whether `ip` (canonical) lies in the CIDR block `block`. */
function inCidr(ip: string, block: string): boolean {
  const [baseText, bitsText] = block.split("/") as [string, string];
  const family = isIP(baseText);
  const bits = Number(bitsText);
  if (family === 0 || family !== isIP(ip) || !Number.isInteger(bits) || bits < 0) return false;
  const a = bytesOf(ip);
  const b = bytesOf(baseText);
  if (bits > a.length * 8) return false;
  for (let i = 0; i < bits; i++) {
    const mask = 0x80 >> (i % 8);
    if ((a[i >> 3]! & mask) !== (b[i >> 3]! & mask)) return false;
  }
  return true;
}

function bytesOf(ip: string): Uint8Array {
  if (isIP(ip) === 4) return Uint8Array.from(ip.split(".").map(Number));
  return ipv6Bytes(ip);
}

function sameIp(a: string, b: string): boolean {
  return isIP(a) === isIP(b) && Buffer.compare(bytesOf(a), bytesOf(b)) === 0;
}
