import type * as net from "node:net";
import { isIP } from "node:net";
import * as tls from "node:tls";
import { failure, invalid, type WebSocketError } from "../../errors/errors.js";
import type { ResolvedOptions } from "../../options/options.js";
import type { Target } from "../../options/url.js";
import { authority } from "../../routes/proxy.js";
import { errorText } from "../dial.js";
import { type Bounds, bounded } from "./bounded.js";

/**
 * TLS for an HTTP/2 session: the same settings and checks as dial.ts applies for HTTP/1.1, but
 * offering `h2` before `http/1.1` in ALPN. The protocol the server picked comes back with the
 * socket: anything but "h2" means the server does not speak HTTP/2 here.
 */

/** The secure context of `options.tls`; INVALID when Node cannot use a key or certificate. */
export function secureContext(options: ResolvedOptions): tls.SecureContext {
  const t = options.tls;
  try {
    return tls.createSecureContext({
      ...(t.ca === undefined ? {} : { ca: t.ca }),
      ...(t.cert === undefined ? {} : { cert: t.cert }),
      ...(t.key === undefined ? {} : { key: t.key }),
      ...(t.passphrase === undefined ? {} : { passphrase: t.passphrase }),
      ...(t.minVersion === undefined ? {} : { minVersion: t.minVersion }),
    } as tls.SecureContextOptions);
  } catch (error) {
    throw invalid(`option tls: ${(error as Error).message}`, "INVALID_OPTION");
  }
}

/** A TLS socket and the ALPN protocol the server chose ("" for none). */
export interface Secured {
  readonly socket: tls.TLSSocket;
  readonly alpn: string;
}

/** Runs TLS over `socket` offering h2, verifying the certificate against the target's name. */
export function secureH2(
  socket: net.Socket,
  target: Target,
  options: ResolvedOptions,
  context: tls.SecureContext,
  bounds: Bounds,
): Promise<Secured> {
  const t = options.tls;
  const servername = t.servername ?? (isIP(target.host) === 0 ? target.host : undefined);
  const secured = tls.connect({
    socket,
    host: target.host,
    ALPNProtocols: ["h2", "http/1.1"],
    secureContext: context,
    ...(servername === undefined ? {} : { servername }),
    rejectUnauthorized: t.rejectUnauthorized ?? true,
  } as tls.ConnectionOptions);
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
