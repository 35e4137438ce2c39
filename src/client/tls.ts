import type { Duplex } from "node:stream";
import * as tls from "node:tls";
import { failure, type WebSocketError } from "../errors/errors.js";
import type { TlsOptions } from "../options/options.js";
import { secureContextOptions, tlsConnectOptions } from "../options/tls.js";
import { sniName } from "../options/url.js";
import { authority } from "../routes/proxy.js";
import type { DialDeadline } from "./deadline.js";

/** TLS for the dial: to the server for `wss:`, and to an `https:` proxy. */

/** Certificate checks Node reports by code, and what each means. */
const CERTIFICATE_CHECKS: Readonly<Record<string, string>> = {
  CERT_HAS_EXPIRED: "the server's certificate has expired",
  CERT_NOT_YET_VALID: "the server's certificate is not valid yet",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the server's certificate is self-signed and not trusted",
  SELF_SIGNED_CERT_IN_CHAIN: "the server's certificate chain ends in a self-signed root that is not trusted",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the server's certificate is not signed by a trusted CA (unknown CA)",
  UNABLE_TO_GET_ISSUER_CERT: "the issuer of the server's certificate is unknown (unknown CA)",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the issuer of the server's certificate is unknown (unknown CA)",
  CERT_SIGNATURE_FAILURE: "the signature of the server's certificate is invalid",
  CERT_UNTRUSTED: "the server's certificate is not trusted",
  CERT_REJECTED: "the server's certificate is rejected",
  CERT_REVOKED: "the server's certificate is revoked",
  INVALID_CA: "a CA certificate in the server's chain is invalid",
  INVALID_PURPOSE: "the server's certificate may not be used for a TLS server",
  HOSTNAME_MISMATCH: "the server's certificate does not match the host name",
  ERR_TLS_CERT_ALTNAME_INVALID: "the server's certificate does not match the host name",
};

/** OpenSSL's reasons for failures reported by the peer's alerts, and what they mean. */
const TLS_REASONS: readonly [RegExp, string][] = [
  [/certificate required/, "the server requires a client certificate (tls.cert and tls.key)"],
  [
    /alert (bad certificate|unknown ca|certificate unknown|decrypt error|unsupported certificate)/,
    "the server rejected the client certificate",
  ],
  [/certificate expired|certificate revoked/, "the server rejected the client certificate"],
  [
    /wrong version number|packet length too long|http request|record layer failure/,
    "the server does not seem to speak TLS: is it a plain ws:// server (use ws://)?",
  ],
  [/protocol version|unsupported protocol/, "no TLS version acceptable to both sides (see tls.minVersion)"],
  [
    /handshake failure|no shared cipher|no suitable/,
    "no cipher suite or parameters acceptable to both sides",
  ],
  [/unrecognized name/, "the server does not know the name sent in SNI"],
  [/no application protocol/, "the server does not speak http/1.1 (ALPN)"],
];

/**
 * errorText describes a socket error in a line: OpenSSL errors (which Node reports as several
 * lines of file names and numbers) become their reason, explained when it is a known alert,
 * and their code; other errors keep their message.
 */
export function errorText(error: Error): string {
  const e = error as Error & { reason?: unknown; code?: unknown };
  if (typeof e.reason !== "string" || typeof e.code !== "string" || !e.code.startsWith("ERR_SSL")) {
    return error.message;
  }
  const reason = e.reason;
  const known = TLS_REASONS.find(([pattern]) => pattern.test(reason));
  return `${known === undefined ? "" : `${known[1]}: `}${reason} (${e.code})`;
}

/** The error for a failed TLS handshake with `where`, saying which check failed. */
function tlsFailed(where: string, servername: string, error: unknown): WebSocketError {
  const e = error as NodeJS.ErrnoException & { reason?: string };
  const check = e.code === undefined ? undefined : CERTIFICATE_CHECKS[e.code];
  if (check !== undefined) {
    const detail =
      e.code === "ERR_TLS_CERT_ALTNAME_INVALID" ? ` ${JSON.stringify(servername)}: ${e.reason}` : "";
    // Retryable, as API.md has every TLS failure: a server's certificate does get renewed or
    // fixed, and a reconnect loop backs off while it waits.
    return failure("TLS_FAILED", `${where} failed: ${check}${detail} (${e.code})`, { cause: error });
  }
  return failure("TLS_FAILED", `${where} failed: ${errorText(e)}`, { cause: error });
}

/**
 * The TLS settings of a TLS options object, built before any socket is opened so that a key,
 * certificate or passphrase Node cannot use is INVALID rather than a failure halfway through the dial.
 */
export function secureContext(t: TlsOptions, name: string): tls.SecureContext {
  try {
    return tls.createSecureContext(secureContextOptions(t));
  } catch (error) {
    throw failure("INVALID_OPTION", `option ${name}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Runs TLS over `stream` to `host`:`port`, verifying its certificate against the host name (or
 * `t.servername`); `who` names it in messages.
 */
export async function secure(
  stream: Duplex,
  host: string,
  port: number,
  t: TlsOptions,
  context: tls.SecureContext,
  deadline: DialDeadline,
  who = "",
): Promise<tls.TLSSocket> {
  // SNI never carries an IP address nor a trailing dot (RFC 6066 §3).
  const servername = t.servername === undefined ? sniName(host) : (sniName(t.servername) ?? t.servername);
  const secured = deadline.track(tls.connect(tlsConnectOptions(t, host, servername, stream, context)));
  await deadline.guard("TLS handshake", onceEvent(secured, "secureConnect"), (error) =>
    tlsFailed(`TLS handshake with ${who}${authority(host, port)}`, servername ?? host, error),
  );
  return secured;
}

/** Resolves once `stream` emits `event`; rejects on error or close. Leaves no listener behind. */
export function onceEvent(stream: Duplex, event: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    // One listener for the three events (a dial makes a few of these): `event` passes nothing,
    // 'error' an Error, and 'close' a boolean on a socket but nothing on other streams; a stream
    // that closed is destroyed.
    const done = (outcome?: unknown): void => {
      stream.off(event, done);
      stream.off("error", done);
      stream.off("close", done);
      if (outcome === undefined && !stream.destroyed) resolve();
      else reject(outcome instanceof Error ? outcome : new Error("the connection was closed"));
    };
    stream.on(event, done);
    stream.on("error", done);
    stream.on("close", done);
  });
}
