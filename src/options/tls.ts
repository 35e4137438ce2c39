import type { Duplex } from "node:stream";
import * as tls from "node:tls";
import { invalid } from "../errors/errors.js";
import { bare, isRecord, own, ownArray } from "./own.js";
import { unknownField } from "./suggest.js";

/** TLS settings for `wss:` URLs. Certificates and host names are verified unless told otherwise. */
export interface TlsOptions {
  /** Trusted CA certificates (PEM text), replacing Node's bundled roots. Default: Node's roots. */
  readonly ca?: tls.ConnectionOptions["ca"] | undefined;
  /** Client certificate chain (PEM text), for servers that ask for one. */
  readonly cert?: tls.ConnectionOptions["cert"] | undefined;
  /** Client private key (PEM text). */
  readonly key?: tls.ConnectionOptions["key"] | undefined;
  /** Passphrase of `key`. */
  readonly passphrase?: string | undefined;
  /** Server name for SNI and certificate checking. Default: the URL's host name. */
  readonly servername?: string | undefined;
  /** Whether to verify the server's certificate. Default true; turn off only for tests (a warning is emitted once). */
  readonly rejectUnauthorized?: boolean | undefined;
  /** Lowest TLS version accepted. Default: Node's ("TLSv1.2"). */
  readonly minVersion?: tls.ConnectionOptions["minVersion"] | undefined;
}

const TLS_KNOWN: ReadonlySet<string> = new Set([
  "ca",
  "cert",
  "key",
  "passphrase",
  "servername",
  "rejectUnauthorized",
  "minVersion",
]);
const TLS_VERSIONS: ReadonlySet<string> = new Set(["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]);

/** The code of the process warning emitted when certificate checks are turned off. */
export const INSECURE_TLS_WARNING = "WSCHAN_TLS_INSECURE";
let warned = false;

/** Says once per process that certificates are not checked: a test setting left in production. */
function warnInsecure(): void {
  if (warned) return;
  warned = true;
  process.emitWarning(
    "tls.rejectUnauthorized is false: server certificates are not verified, so anyone on the path can read and change the traffic",
    { type: "SecurityWarning", code: INSECURE_TLS_WARNING },
  );
}

type Pem = string | Buffer;

/**
 * Whether a string given as PEM is a file name instead: one line, no PEM armour, shaped like a
 * path or named like a certificate file.
 */
function looksLikePath(text: string): boolean {
  if (text.includes("-----BEGIN") || text.includes("\n")) return false;
  const s = text.trim();
  return /^(\/|\.{1,2}[\\/]|~[\\/]|[A-Za-z]:[\\/])/.test(s) || /\.(pem|crt|cer|key|der|p12|pfx)$/i.test(s);
}

/** One PEM item of tls.ca/cert/key, copied (a Buffer the caller changes later changes nothing). */
function pemItem(name: string, value: unknown): Pem {
  if (typeof value === "string") {
    if (looksLikePath(value)) {
      const shown = JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
      throw invalid(
        `option tls.${name}: ${shown} looks like a file path, but tls.${name} takes the PEM text itself; pass fs.readFileSync(${shown}, "utf8")`,
        "INVALID_OPTION",
      );
    }
    if (!value.includes("-----BEGIN")) {
      throw invalid(
        `option tls.${name}: expected PEM text starting with "-----BEGIN", got a string without it`,
        "INVALID_OPTION",
      );
    }
    return value;
  }
  if (value instanceof Uint8Array) return Buffer.from(value);
  throw invalid(
    `option tls.${name}: expected PEM as a string or Buffer, or an array of them`,
    "INVALID_OPTION",
  );
}

function pem(name: string, value: unknown): Pem | Pem[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return pemItem(name, value);
  const items = ownArray(value);
  if (items === undefined) throw invalid(`option tls.${name}: the array has a hole`, "INVALID_OPTION");
  return Object.freeze(items.map((item) => pemItem(name, item))) as Pem[];
}

function optionalString(name: string, value: unknown): string | undefined {
  if (value !== undefined && typeof value !== "string") {
    throw invalid(`option tls.${name}: expected a string`, "INVALID_OPTION");
  }
  return value;
}

/**
 * snapshotTls checks the `tls` option and copies it, own properties only, into a frozen record
 * with no prototype; throws INVALID (INVALID_OPTION) naming the field.
 */
export function snapshotTls(input: unknown, name = "tls"): TlsOptions {
  if (input === undefined) return bare({});
  if (!isRecord(input)) throw invalid(`option ${name}: expected an object`, "INVALID_OPTION");
  for (const key of Object.keys(input)) {
    if (!TLS_KNOWN.has(key))
      throw invalid(`option ${name}: ${unknownField("field", key, TLS_KNOWN)}`, "INVALID_OPTION");
  }
  const rejectUnauthorized = own(input, "rejectUnauthorized");
  if (rejectUnauthorized !== undefined && typeof rejectUnauthorized !== "boolean") {
    throw invalid("option tls.rejectUnauthorized: expected a boolean", "INVALID_OPTION");
  }
  const minVersion = own(input, "minVersion");
  if (minVersion !== undefined && !(typeof minVersion === "string" && TLS_VERSIONS.has(minVersion))) {
    throw invalid(`option tls.minVersion: expected one of ${[...TLS_VERSIONS].join(", ")}`, "INVALID_OPTION");
  }
  const servername = optionalString("servername", own(input, "servername"));
  const snapshot = bare({
    ca: pem("ca", own(input, "ca")),
    cert: pem("cert", own(input, "cert")),
    key: pem("key", own(input, "key")),
    passphrase: optionalString("passphrase", own(input, "passphrase")),
    // RFC 6066 §3: a server name in SNI has no trailing dot.
    servername: servername?.replace(/\.+$/, ""),
    rejectUnauthorized,
    minVersion: minVersion as tls.SecureVersion | undefined,
  });
  if (rejectUnauthorized === false) warnInsecure();
  return snapshot as TlsOptions;
}

/**
 * What `tls.createSecureContext` is given: every field it could read is stated, in a record with
 * no prototype, so nothing on `Object.prototype` (a `ca`, a `pfx`, `ciphers`) can add to it.
 */
export function secureContextOptions(t: TlsOptions): tls.SecureContextOptions {
  const fields: Record<string, unknown> = Object.create(null);
  fields.ca = t.ca;
  fields.cert = t.cert;
  fields.key = t.key;
  fields.passphrase = t.passphrase;
  fields.minVersion = t.minVersion;
  return fields as tls.SecureContextOptions;
}

/**
 * What `tls.connect` is given to secure `socket` for `target`. Node copies these options into an
 * ordinary object and reads fields it was not given through `Object.prototype`, so every field
 * that matters to security is stated, undefined included: a polluted `servername`,
 * `checkServerIdentity`, `session` or `pskCallback` then has nothing to fill in.
 */
export function tlsConnectOptions(
  t: TlsOptions,
  host: string,
  servername: string | undefined,
  socket: Duplex,
  secureContext: tls.SecureContext,
): tls.ConnectionOptions {
  const fields: Record<string, unknown> = {
    socket,
    // The name the certificate is checked against when there is no servername (an IP host):
    // without it Node would fall back to whatever the TCP socket was connected to.
    host,
    servername,
    allowHalfOpen: true,
    ALPNProtocols: ["http/1.1"],
    secureContext,
    rejectUnauthorized: t.rejectUnauthorized !== false,
    checkServerIdentity: tls.checkServerIdentity,
    minDHSize: 1024,
    session: undefined,
    pskCallback: undefined,
    requestOCSP: false,
    enableTrace: false,
    path: undefined,
    signal: undefined,
    onread: undefined,
    highWaterMark: undefined,
  };
  return fields as tls.ConnectionOptions;
}
