import type { Duplex } from "node:stream";
import * as tls from "node:tls";
import { failure, type WebSocketError } from "../../errors/errors.js";
import type { ResolvedOptions } from "../../options/options.js";
import { tlsConnectOptions } from "../../options/tls.js";
import type { Target } from "../../options/url.js";
import { sniName } from "../../options/url.js";
import { authority } from "../../routes/proxy.js";
import { errorText, secureContext as sharedSecureContext } from "../tls.js";
import { type Bounds, bounded } from "./bounded.js";

/**
 * TLS for an HTTP/2 session: the same settings and checks as dial.ts applies for HTTP/1.1, but
 * offering `h2` before `http/1.1` in ALPN. The protocol the server picked comes back with the
 * socket: anything but "h2" means the server does not speak HTTP/2 here.
 */

/** The secure context of `options.tls`; INVALID when Node cannot use a key or certificate. */
export function secureContext(options: ResolvedOptions): tls.SecureContext {
  return sharedSecureContext(options.tls, "tls");
}

/** A TLS socket and the ALPN protocol the server chose ("" for none). */
export interface Secured {
  readonly socket: tls.TLSSocket;
  readonly alpn: string;
}

/** Runs TLS over `socket` offering h2, verifying the certificate against the target's name. */
export function secureH2(
  socket: Duplex,
  target: Target,
  options: ResolvedOptions,
  context: tls.SecureContext,
  bounds: Bounds,
): Promise<Secured> {
  const t = options.tls;
  // The same options as HTTP/1.1's TLS (own properties, SNI without a trailing dot), offering h2 first.
  const servername = t.servername === undefined ? target.servername : (sniName(t.servername) ?? t.servername);
  const secured = tls.connect({
    ...tlsConnectOptions(t, target.host, servername, socket, context),
    ALPNProtocols: ["h2", "http/1.1"],
  });
  const where = `TLS handshake with ${authority(target.host, target.port)}`;
  const handshake = new Promise<Secured>((resolve, reject) => {
    const done = (error?: WebSocketError): void => {
      secured.off("secureConnect", onSecure);
      secured.off("error", onError);
      secured.off("close", onClose);
      if (error === undefined) resolve({ socket: secured, alpn: secured.alpnProtocol || "" });
      else reject(error);
    };
    const onSecure = (): void => done();
    const onError = (error: Error): void => {
      const code = (error as NodeJS.ErrnoException).code;
      done(
        failure("TLS_FAILED", `${where} failed: ${errorText(error)}${code ? ` (${code})` : ""}`, {
          cause: error,
        }),
      );
    };
    const onClose = (): void => done(failure("TLS_FAILED", `${where} failed: the connection was closed`));
    secured.once("secureConnect", onSecure);
    secured.on("error", onError);
    secured.on("close", onClose);
  });
  return bounded(handshake, bounds, "TLS handshake", () => secured.destroy());
}
