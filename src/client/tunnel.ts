import type { Duplex } from "node:stream";
import { failure } from "../errors/errors.js";
import { authority, connectRequest, type ProxyTarget } from "../routes/proxy.js";
import { Socks5Client } from "../routes/socks5.js";
import type { DialDeadline } from "./deadline.js";
import { converse, exchange, readBody } from "./exchange.js";
import { errorText } from "./tls.js";

/**
 * Opening a tunnel through a proxy over a connected stream: HTTP CONNECT (for `http:` and
 * `https:` proxies) and SOCKS5 (`socks5:`, `socks5h:`). Each resolves with the bytes that came
 * after the proxy's answer (to be read before anything else) and leaves no listener behind.
 */

/** Asks an HTTP proxy for a tunnel to `host`:`port` (RFC 9110 §9.3.6). */
export async function httpTunnel(
  stream: Duplex,
  proxy: ProxyTarget,
  host: string,
  port: number,
  deadline: DialDeadline,
): Promise<Buffer> {
  const target = authority(host, port);
  const response = await exchange(stream, connectRequest(proxy, host, port), deadline, "proxy CONNECT", {
    malformed: (message) =>
      failure("PROXY_FAILED", `proxy ${proxy.shown} answered CONNECT wrongly: ${message}`, {
        retryable: false,
      }),
    closed: () =>
      failure("PROXY_FAILED", `proxy ${proxy.shown} closed the connection before answering CONNECT`),
    failed: (error) =>
      failure("PROXY_FAILED", `proxy ${proxy.shown} failed during CONNECT: ${errorText(error)}`, {
        cause: error,
      }),
  });
  if (response.status >= 200 && response.status < 300) return Buffer.from(response.rest);
  const status = response.status;
  const answer = await readBody(stream, response, Math.min(1000, deadline.remaining()));
  throw failure(
    "PROXY_REFUSED",
    `proxy ${proxy.shown} refused CONNECT to ${target}: ${status} ${response.statusText}`.trimEnd(),
    { status, retryable: status >= 500 || status === 429, response: answer },
  );
}

/** Asks a SOCKS5 proxy for a tunnel to `host`:`port` (RFC 1928, RFC 1929 authentication). */
export function socksTunnel(
  stream: Duplex,
  proxy: ProxyTarget,
  host: string,
  port: number,
  deadline: DialDeadline,
): Promise<Buffer> {
  const socks = new Socks5Client({ host, port, credentials: proxy.credentials });
  const target = authority(host, port);
  const answer = converse<Buffer>(
    stream,
    (chunk) => {
      const step = socks.receive(chunk);
      if (step.kind === "more") {
        if (step.send !== undefined) stream.write(step.send);
        return undefined;
      }
      if (step.kind === "open") return { value: Buffer.from(step.rest) };
      const message = `SOCKS5 proxy ${proxy.shown} refused the tunnel to ${target}: ${step.message}`;
      return {
        error:
          step.reason === "refused"
            ? failure("PROXY_REFUSED", message, {
                retryable: step.retryable,
                ...(step.reply === undefined ? {} : { socksReply: step.reply }),
              })
            : failure("PROXY_FAILED", `SOCKS5 proxy ${proxy.shown} answered wrongly: ${step.message}`, {
                retryable: false,
              }),
      };
    },
    (error) =>
      failure("PROXY_FAILED", `SOCKS5 proxy ${proxy.shown} failed: ${errorText(error)}`, { cause: error }),
    () => failure("PROXY_FAILED", `SOCKS5 proxy ${proxy.shown} closed the connection during the negotiation`),
  );
  stream.write(socks.start());
  return deadline.guard("SOCKS5 negotiation", answer);
}
