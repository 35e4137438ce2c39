import { isIP } from "node:net";
import { type ErrorId, failure, invalid, WebSocketError } from "../errors/errors.js";
import { isRecord, own, ownArray } from "../options/own.js";
import { unknownField } from "../options/suggest.js";
import { describeUrl } from "../options/url.js";
import { canonicalIp, specialRange } from "./address.js";

/**
 * The security policy (the seed's `websocket.connect` and `websocket.connect.url` actions). Pure:
 * pattern parsing and matching, the process-wide policy, and narrowing by `options.policy`. Nothing
 * here resolves names or opens sockets; `dial.ts` asks `checkAddress` about every address before
 * connecting to it.
 *
 * Patterns are matched against the URL as the WHATWG URL parser left it (the very object that is
 * dialled), never against the string the caller wrote: the host is lower-cased, IDN is in
 * punycode, percent-escapes in the host are decoded, IPv4 written as "2130706433" or "0x7f.1" is
 * dotted, IPv6 is compressed and an IPv4-mapped IPv6 host is compared as the IPv4 address it
 * reaches, trailing dots are dropped, the port is explicit, userinfo plays no part.
 *
 * When a choice is needed, deny patterns err towards matching and allow patterns towards not
 * matching: a deny path pattern matches if the path matches in any of its readings (as sent,
 * fully percent-decoded with "\" taken as "/", case-insensitively), an allow path pattern only if
 * it matches in every reading.
 */

/** The URL rules of a policy. */
export interface PolicyUrls {
  /** Patterns of which a URL must match one. Default: no allow list. An empty list allows nothing. */
  readonly allow?: readonly string[];
  /** Patterns that refuse a URL; a deny match always wins over an allow match. Default none. */
  readonly deny?: readonly string[];
}

/**
 * A security policy, for `policy.set` (process-wide) or `options.policy` (one connection, which
 * can only narrow the process-wide one). Every field is optional; an omitted field restricts
 * nothing.
 */
export interface Policy {
  /** false refuses every connection (the seed's `websocket.connect` action). Default true. */
  readonly connect?: boolean;
  /** Allowed and denied URL patterns (the seed's `websocket.connect.url` action). Default: every URL. */
  readonly urls?: PolicyUrls;
  /**
   * false refuses loopback, private, link-local, CGNAT, unique-local, unspecified and other
   * special-purpose addresses, checked on the addresses DNS returns (which are then the ones
   * connected to). Default true.
   */
  readonly private_networks?: boolean;
  /**
   * Unix domain sockets (`ws+unix:` URLs, the `unix_socket` option): true allows them, false
   * refuses them. Default: allowed unless `private_networks` is false or `urls.allow` is set
   * (a local socket is the most private network of all).
   */
  readonly unix_sockets?: boolean;
}

/** One parsed URL pattern. */
interface Pattern {
  /** The pattern as the caller wrote it, for messages and `get()`. */
  readonly source: string;
  readonly scheme: "ws:" | "wss:";
  /** "*" for any host, ".suffix" for a `*.` wildcard (one or more whole labels), else the exact host. */
  readonly host: string;
  /** A port number, or undefined for `:*`. */
  readonly port: number | undefined;
  /** undefined: any path. */
  readonly path: PathPattern | undefined;
}

interface PathPattern {
  /** true when the pattern ended in "*": every path that starts with `views` matches. */
  readonly prefix: boolean;
  readonly views: PathViews;
}

/** The readings of a path that matching compares (see the file comment). */
interface PathViews {
  /** The path as the URL parser left it, with escapes of unreserved characters decoded and hex in upper case. */
  readonly canonical: string;
  /** Every escape decoded (as Latin-1), "\" read as "/", dot segments removed. */
  readonly decoded: string;
}

/** A checked, immutable policy: one layer of the effective policy. */
export interface CompiledPolicy {
  /** Where it came from, for messages: "websocket.policy" or "options.policy". */
  readonly where: string;
  readonly connect: boolean;
  readonly allow: readonly Pattern[] | undefined;
  readonly deny: readonly Pattern[];
  readonly privateNetworks: boolean;
  /** true or false when set, undefined to follow `private_networks` and `urls.allow`. */
  readonly unixSockets: boolean | undefined;
  /** What `policy.get()` returns: the policy as set, defaults filled in, frozen. */
  readonly view: Policy;
}

const PROCESS = "websocket.policy";
const POLICY_KEYS = new Set(["connect", "urls", "private_networks", "unix_sockets"]);
const URLS_KEYS = new Set(["allow", "deny"]);

/**
 * The parts of a pattern: scheme "://" host [":" port] [path]. The host is a bracketed IPv6
 * literal or a run of characters that cannot end a host; what they mean is checked afterwards.
 */
const PATTERN = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(\[[^\]]*\]|[^/:@?#\\[\]\s]*)(?::([^/]*))?(\/.*)?$/s;
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

function defaultPort(scheme: "ws:" | "wss:"): number {
  return scheme === "wss:" ? 443 : 80;
}

/** Lower-cased, punycoded, dotted host as the URL parser makes it, without brackets or trailing dots. */
function normaliseHost(text: string): string | undefined {
  let host: string;
  try {
    host = new URL(`ws://${text}/`).hostname;
  } catch {
    return undefined;
  }
  if (host.startsWith("[")) return canonicalIp(host.slice(1, -1));
  return host.replace(/\.+$/, "");
}

/** Decodes escapes of unreserved characters and upper-cases the hex of the others (RFC 3986 §6.2.2). */
function canonicalEscapes(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
}

/** RFC 3986 §5.2.4, on a path that starts with "/". */
function removeDotSegments(path: string): string {
  const out: string[] = [];
  const segments = path.split("/").slice(1);
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === ".") {
      if (last) out.push("");
    } else if (segment === "..") {
      out.pop();
      if (last) out.push("");
    } else {
      out.push(segment);
    }
  });
  return `/${out.join("/")}`;
}

function pathViews(pathname: string): PathViews {
  const path = pathname === "" ? "/" : pathname;
  const decoded = path
    .replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
    .replaceAll("\\", "/");
  return { canonical: canonicalEscapes(path), decoded: removeDotSegments(decoded) };
}

/** Parses one pattern; the string returned on failure says what is wrong with it. */
function parsePattern(source: string): Pattern | string {
  const match = PATTERN.exec(source);
  if (match === null) {
    return "expected scheme://host[:port][/path], such as wss://*.example.com:443/stream/*";
  }
  const scheme = `${match[1]!.toLowerCase()}:`;
  if (scheme !== "ws:" && scheme !== "wss:") return `the scheme must be ws or wss, not ${match[1]}`;
  const hostText = match[2]!;
  let host: string;
  if (hostText === "") return "the host is missing";
  if (hostText === "*") {
    host = "*";
  } else {
    const wildcard = hostText.startsWith("*.");
    const rest = wildcard ? hostText.slice(2) : hostText;
    if (rest.includes("*")) {
      return 'a host wildcard must be a whole leftmost label ("*.example.com") or the whole host ("*")';
    }
    const normal = normaliseHost(rest);
    if (normal === undefined || normal === "") return `the host ${JSON.stringify(hostText)} is not valid`;
    if (normal.includes("*")) return `the host ${JSON.stringify(hostText)} is not valid`;
    if (wildcard && isIP(normal) !== 0) return "a host wildcard cannot precede an IP address";
    host = wildcard ? `.${normal}` : normal;
  }
  let port: number | undefined = defaultPort(scheme);
  const portText = match[3];
  if (portText !== undefined) {
    if (portText === "*") port = undefined;
    else if (/^[0-9]{1,5}$/.test(portText) && Number(portText) >= 1 && Number(portText) <= 65535)
      port = Number(portText);
    else return `the port ${JSON.stringify(portText)} is not 1–65535 or *`;
  }
  let path: PathPattern | undefined;
  const pathText = match[4];
  if (pathText !== undefined) {
    if (/[?#]/.test(pathText)) return "a pattern cannot have a query or a fragment";
    const star = pathText.indexOf("*");
    if (star >= 0 && star !== pathText.length - 1) return 'a path wildcard "*" may only end the pattern';
    const prefix = star >= 0;
    const base = prefix ? pathText.slice(0, -1) : pathText;
    let pathname: string;
    try {
      pathname = new URL(`ws://host${base}`).pathname;
    } catch {
      return `the path ${JSON.stringify(pathText)} is not valid`;
    }
    path = { prefix, views: pathViews(pathname) };
  }
  return { source, scheme, host, port, path };
}

function patterns(input: unknown, name: string, where: string, id: ErrorId): readonly Pattern[] {
  const sources = ownArray(input);
  if (sources === undefined || sources.some((p) => typeof p !== "string")) {
    throw invalid(`${where}: urls.${name} must be an array of pattern strings`, id);
  }
  return Object.freeze(
    (sources as string[]).map((source) => {
      const pattern = parsePattern(source);
      if (typeof pattern === "string") {
        throw invalid(`${where}: urls.${name} pattern ${JSON.stringify(source)} is invalid: ${pattern}`, id);
      }
      return pattern;
    }),
  );
}

/**
 * compilePolicy checks a policy as given to `policy.set` or `options.policy` and parses its
 * patterns; anything wrong (an unknown field, a mistyped value, an invalid pattern) throws INVALID,
 * so a typo can never silently loosen a rule. `where` names the policy in messages. Only the
 * policy's own properties are read, each once: nothing on `Object.prototype` adds a rule or
 * lifts one, and the compiled policy shares nothing with the caller's objects.
 */
export function compilePolicy(input: unknown, where: string): CompiledPolicy {
  const id: ErrorId = where === PROCESS ? "INVALID_ARGUMENT" : "INVALID_OPTION";
  if (!isRecord(input)) throw invalid(`${where} must be an object`, id);
  for (const key of Object.keys(input)) {
    if (!POLICY_KEYS.has(key)) throw invalid(`${where}: ${unknownField("field", key, POLICY_KEYS)}`, id);
  }
  const connect = own(input, "connect") ?? true;
  if (typeof connect !== "boolean") throw invalid(`${where}: connect must be a boolean`, id);
  const privateNetworks = own(input, "private_networks") ?? true;
  if (typeof privateNetworks !== "boolean") throw invalid(`${where}: private_networks must be a boolean`, id);
  const unixSockets = own(input, "unix_sockets");
  if (unixSockets !== undefined && typeof unixSockets !== "boolean") {
    throw invalid(`${where}: unix_sockets must be a boolean`, id);
  }
  const urls = own(input, "urls") ?? {};
  if (!isRecord(urls)) throw invalid(`${where}: urls must be an object with allow and/or deny`, id);
  for (const key of Object.keys(urls)) {
    if (!URLS_KEYS.has(key))
      throw invalid(`${where}: ${unknownField("field", `urls.${key}`, ["urls.allow", "urls.deny"])}`, id);
  }
  const allowInput = own(urls, "allow");
  const denyInput = own(urls, "deny");
  const allow = allowInput === undefined ? undefined : patterns(allowInput, "allow", where, id);
  const deny = denyInput === undefined ? [] : patterns(denyInput, "deny", where, id);
  const view: Policy = Object.freeze({
    connect,
    urls: Object.freeze({
      ...(allow === undefined ? {} : { allow: Object.freeze(allow.map((p) => p.source)) }),
      deny: Object.freeze(deny.map((p) => p.source)),
    }),
    private_networks: privateNetworks,
    ...(unixSockets === undefined ? {} : { unix_sockets: unixSockets }),
  });
  return Object.freeze({ where, connect, allow, deny, privateNetworks, unixSockets, view });
}

const DEFAULT_POLICY = compilePolicy({}, PROCESS);
let current = DEFAULT_POLICY;

/**
 * The process-wide security policy. `set` replaces it as a whole (omitted fields take their
 * defaults) after checking it: an invalid policy throws INVALID and leaves the current one in
 * place. `get` returns the policy in force, frozen, defaults filled in. `reset` restores the
 * default, which allows everything.
 */
export const policy = Object.freeze({
  set(value: Policy): void {
    current = compilePolicy(value, PROCESS);
  },
  get(): Policy {
    return current.view;
  },
  reset(): void {
    current = DEFAULT_POLICY;
  },
});

/** The layers in force for one connection: the process-wide policy, then `options.policy`. */
export function policyLayers(narrowing: CompiledPolicy | undefined): readonly CompiledPolicy[] {
  return narrowing === undefined ? [current] : [current, narrowing];
}

/** The parts of a URL that patterns look at. */
interface UrlView {
  readonly scheme: string;
  readonly host: string;
  readonly ip: boolean;
  readonly port: number;
  readonly path: PathViews;
}

/** What the URL a connection dials looks like to patterns. */
function viewOf(url: URL): UrlView {
  const scheme = url.protocol;
  const bracketed = url.hostname.startsWith("[");
  const host = bracketed ? canonicalIp(url.hostname.slice(1, -1)) : url.hostname.replace(/\.+$/, "");
  const port = url.port === "" ? defaultPort(scheme as "ws:" | "wss:") : Number(url.port);
  return { scheme, host, ip: isIP(host) !== 0, port, path: pathViews(url.pathname) };
}

function hostMatches(pattern: string, view: UrlView): boolean {
  if (pattern === "*") return true;
  if (pattern.startsWith(".")) return !view.ip && view.host.endsWith(pattern);
  return view.host === pattern;
}

function pathMatches(pattern: PathPattern, path: string, want: string, fold: boolean): boolean {
  if (fold) {
    path = path.toLowerCase();
    want = want.toLowerCase();
  }
  return pattern.prefix ? path.startsWith(want) : path === want;
}

/** Whether `pattern` matches; `deny` selects the broad reading of paths, otherwise the strict one. */
function matches(pattern: Pattern, view: UrlView, deny: boolean): boolean {
  if (pattern.scheme !== view.scheme) return false;
  if (!hostMatches(pattern.host, view)) return false;
  if (pattern.port !== undefined && pattern.port !== view.port) return false;
  const path = pattern.path;
  if (path === undefined) return true;
  const canonical = pathMatches(path, view.path.canonical, path.views.canonical, false);
  const decoded = pathMatches(path, view.path.decoded, path.views.decoded, false);
  if (!deny) return canonical && decoded;
  return (
    canonical ||
    decoded ||
    pathMatches(path, view.path.canonical, path.views.canonical, true) ||
    pathMatches(path, view.path.decoded, path.views.decoded, true)
  );
}

/** The URL for messages, from options/url.ts: re-exported here, where dial and connect import it. */
export { describeUrl };

function denied(message: string): WebSocketError {
  return new WebSocketError("PERMISSION_DENIED", message);
}

/**
 * checkUrl applies every layer's `connect` and `urls` rules to `url`, and `private_networks` when
 * the host is an IP address, before any DNS lookup or socket; a refusal throws PERMISSION_DENIED
 * naming the rule and the policy it belongs to. Deny patterns are checked before allow lists, so
 * a deny match always wins.
 */
export function checkUrl(layers: readonly CompiledPolicy[], url: URL): void {
  let patterns = false;
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i]!;
    if (!layer.connect) {
      throw denied(`websocket.connect: connections are disabled by ${layer.where} (connect: false)`);
    }
    if (layer.deny.length > 0 || layer.allow !== undefined) patterns = true;
  }
  // No pattern to match and every network allowed (the default): nothing left to judge, so the
  // URL is not taken apart (this runs on every connect).
  if (!patterns && privateRefusedBy(layers) === undefined) return;
  const view = viewOf(url);
  for (const layer of layers) {
    const hit = layer.deny.find((pattern) => matches(pattern, view, true));
    if (hit !== undefined) {
      throw denied(
        `websocket.connect.url: ${describeUrl(url)} matches the urls.deny pattern ${JSON.stringify(hit.source)} of ${layer.where}`,
      );
    }
  }
  for (const layer of layers) {
    const allow = layer.allow;
    if (allow !== undefined && !allow.some((pattern) => matches(pattern, view, false))) {
      throw denied(
        `websocket.connect.url: ${describeUrl(url)} matches none of the ${allow.length} urls.allow pattern${allow.length === 1 ? "" : "s"} of ${layer.where}`,
      );
    }
  }
  if (view.ip) checkAddress(layers, view.host, view.host);
}

/** Whether some layer refuses private networks: its name, or undefined. */
export function privateRefusedBy(layers: readonly CompiledPolicy[]): string | undefined {
  for (let i = 0; i < layers.length; i++) if (!layers[i]!.privateNetworks) return layers[i]!.where;
  return undefined;
}

/**
 * checkAddress throws PERMISSION_DENIED when a layer has `private_networks: false` and `address`
 * (which `host` resolved to, or the host itself) is not a public address.
 */
export function checkAddress(layers: readonly CompiledPolicy[], host: string, address: string): void {
  const where = privateRefusedBy(layers);
  if (where === undefined) return;
  const range = specialRange(address);
  if (range === undefined) return;
  const what = host === address ? address : `${host} resolves to ${address}, which`;
  throw failure(
    "POLICY_PRIVATE_NETWORK",
    `websocket.connect: ${what} is not public: ${range}; ${where} has private_networks: false`,
  );
}

/**
 * checkUnix throws PERMISSION_DENIED when a layer refuses connections, or refuses unix domain
 * sockets: `unix_sockets: false`, or `unix_sockets` unset with `private_networks: false` or an
 * allow list (URL patterns cannot name a socket path, so an allow list does not let one through).
 */
export function checkUnix(layers: readonly CompiledPolicy[], path: string): void {
  for (const layer of layers) {
    if (!layer.connect) {
      throw failure(
        "POLICY_CONNECT_DISABLED",
        `websocket.connect: connections are disabled by ${layer.where} (connect: false)`,
      );
    }
  }
  for (const layer of layers) {
    if (layer.unixSockets === true) continue;
    const why =
      layer.unixSockets === false
        ? "unix_sockets: false"
        : !layer.privateNetworks
          ? "private_networks: false (allow with unix_sockets: true)"
          : layer.allow !== undefined
            ? "urls.allow, which cannot name a socket (allow with unix_sockets: true)"
            : undefined;
    if (why !== undefined) {
      throw failure(
        "POLICY_UNIX_SOCKET",
        `websocket.connect: the unix socket ${path} is refused by ${layer.where}: ${why}`,
      );
    }
  }
}
