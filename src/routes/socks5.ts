import { isIP } from "node:net";

/**
 * The client side of a SOCKS5 CONNECT (RFC 1928) with username/password authentication (RFC 1929),
 * sans-I/O: `start` gives the greeting to send, `receive` takes the proxy's bytes in chunks of any
 * size and says what to send next, when the tunnel is open (with any bytes that followed the
 * reply) or why it failed. No sockets or timers here: `client/tunnel.ts` drives it.
 */

/** What the tunnel is asked to reach. */
export interface Socks5Request {
  /** An IP address (sent as one), or a host name (sent as a domain name for the proxy to resolve). */
  readonly host: string;
  readonly port: number;
  readonly credentials?: { readonly username: string; readonly password: string } | undefined;
}

/** Why a SOCKS5 negotiation failed. */
export interface Socks5Failure {
  readonly kind: "failure";
  /** "refused": the proxy said no (reply code or authentication); "protocol": it did not speak SOCKS5. */
  readonly reason: "refused" | "protocol";
  readonly message: string;
  /** The reply code of RFC 1928 §6 (1–255), when the proxy sent one. */
  readonly reply?: number;
  /** Whether dialling again may succeed. */
  readonly retryable: boolean;
}

/** What to do after `receive`. */
export type Socks5Step =
  | { readonly kind: "more"; readonly send?: Uint8Array }
  | { readonly kind: "open"; readonly rest: Uint8Array }
  | Socks5Failure;

/** RFC 1928 §6 reply codes, what each means, and whether a later attempt may succeed. */
const REPLIES: Readonly<Record<number, readonly [string, boolean]>> = {
  1: ["general SOCKS server failure", true],
  2: ["connection not allowed by ruleset", false],
  3: ["network unreachable", true],
  4: ["host unreachable", true],
  5: ["connection refused", true],
  6: ["TTL expired", true],
  7: ["command not supported", false],
  8: ["address type not supported", false],
};

/** The text and retry rule of a reply code. */
export function socksReply(code: number): { text: string; retryable: boolean } {
  const known = REPLIES[code];
  return known === undefined
    ? { text: `unassigned reply code ${code}`, retryable: false }
    : { text: known[0], retryable: known[1] };
}

const VERSION = 5;
const NO_AUTH = 0x00;
const USER_PASS = 0x02;
const NO_ACCEPTABLE = 0xff;
const CMD_CONNECT = 1;
const ATYP_IPV4 = 1;
const ATYP_DOMAIN = 3;
const ATYP_IPV6 = 4;

type State = "method" | "auth" | "reply" | "done";

/** One SOCKS5 negotiation; see the file comment. */
export class Socks5Client {
  readonly #request: Socks5Request;
  #state: State = "method";
  #buffer: Buffer = Buffer.alloc(0);

  constructor(request: Socks5Request) {
    this.#request = request;
  }

  /** The greeting: the methods offered (username/password only when credentials are given). */
  start(): Uint8Array {
    return this.#request.credentials === undefined
      ? Uint8Array.of(VERSION, 1, NO_AUTH)
      : Uint8Array.of(VERSION, 2, NO_AUTH, USER_PASS);
  }

  receive(chunk: Uint8Array): Socks5Step {
    if (this.#state === "done") return protocol("the proxy sent data after the negotiation had ended");
    this.#buffer = this.#buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#buffer, chunk]);
    let sends: Uint8Array[] = [];
    for (;;) {
      const step = this.#step();
      if (step === undefined) {
        return sends.length === 0 ? { kind: "more" } : { kind: "more", send: Buffer.concat(sends) };
      }
      if (step.kind !== "more") {
        if (step.kind === "failure") this.#state = "done";
        return step;
      }
      if (step.send !== undefined) sends = [...sends, step.send];
    }
  }

  /** Handles one complete message at the head of the buffer; undefined while more bytes are needed. */
  #step(): Socks5Step | undefined {
    const b = this.#buffer;
    switch (this.#state) {
      case "method": {
        if (b.length < 2) return undefined;
        if (b[0] !== VERSION) return protocol(`the proxy answered with version ${b[0]}, not SOCKS5`);
        const method = b[1]!;
        this.#buffer = b.subarray(2);
        if (method === NO_AUTH) return this.#sendRequest();
        if (method === USER_PASS && this.#request.credentials !== undefined) {
          this.#state = "auth";
          return { kind: "more", send: authRequest(this.#request.credentials) };
        }
        if (method === NO_ACCEPTABLE) {
          return refused(
            this.#request.credentials === undefined
              ? "the proxy requires authentication (give user:pass in the proxy URL)"
              : "the proxy accepts none of the offered authentication methods",
          );
        }
        return protocol(`the proxy chose method ${method}, which was not offered`);
      }
      case "auth": {
        if (b.length < 2) return undefined;
        if (b[0] !== 1) return protocol(`the proxy answered authentication with version ${b[0]}`);
        const status = b[1]!;
        this.#buffer = b.subarray(2);
        if (status !== 0) return refused("the proxy refused the username and password (RFC 1929)");
        return this.#sendRequest();
      }
      case "reply": {
        if (b.length < 5) return undefined;
        if (b[0] !== VERSION) return protocol(`the proxy replied with version ${b[0]}, not SOCKS5`);
        const reply = b[1]!;
        if (reply !== 0) {
          const { text, retryable } = socksReply(reply);
          this.#state = "done";
          return {
            kind: "failure",
            reason: "refused",
            message: `${text} (SOCKS reply ${reply})`,
            reply,
            retryable,
          };
        }
        const atyp = b[3]!;
        const addressLength =
          atyp === ATYP_IPV4 ? 4 : atyp === ATYP_IPV6 ? 16 : atyp === ATYP_DOMAIN ? 1 + b[4]! : -1;
        if (addressLength < 0) return protocol(`the proxy's reply has the unknown address type ${atyp}`);
        const length = 4 + addressLength + 2;
        if (b.length < length) return undefined;
        this.#state = "done";
        return { kind: "open", rest: b.subarray(length) };
      }
      default:
        return undefined;
    }
  }

  #sendRequest(): Socks5Step {
    this.#state = "reply";
    return { kind: "more", send: connectRequest(this.#request.host, this.#request.port) };
  }
}

function protocol(message: string): Socks5Failure {
  return { kind: "failure", reason: "protocol", message, retryable: false };
}

function refused(message: string): Socks5Failure {
  return { kind: "failure", reason: "refused", message, retryable: false };
}

function authRequest(credentials: { username: string; password: string }): Uint8Array {
  const user = Buffer.from(credentials.username, "utf8");
  const pass = Buffer.from(credentials.password, "utf8");
  return Buffer.concat([Uint8Array.of(1, user.length), user, Uint8Array.of(pass.length), pass]);
}

/** The CONNECT request: an IPv4 or IPv6 address as itself, anything else as a domain name. */
export function connectRequest(host: string, port: number): Uint8Array {
  const portBytes = Uint8Array.of(port >> 8, port & 0xff);
  const family = isIP(host);
  if (family === 4) {
    const parts = host.split(".").map(Number);
    return Buffer.concat([Uint8Array.of(VERSION, CMD_CONNECT, 0, ATYP_IPV4, ...parts), portBytes]);
  }
  if (family === 6) {
    return Buffer.concat([Uint8Array.of(VERSION, CMD_CONNECT, 0, ATYP_IPV6), ipv6Bytes(host), portBytes]);
  }
  const name = Buffer.from(host, "utf8");
  return Buffer.concat([Uint8Array.of(VERSION, CMD_CONNECT, 0, ATYP_DOMAIN, name.length), name, portBytes]);
}

/** The 16 bytes of an IPv6 address as `net.isIP` accepts it (an embedded IPv4 tail included). */
export function ipv6Bytes(address: string): Uint8Array {
  let text = address;
  let tail: [number, number] | undefined;
  const lastColon = text.lastIndexOf(":");
  const last = text.slice(lastColon + 1);
  if (last.includes(".")) {
    const [a, b, c, d] = last.split(".").map(Number) as [number, number, number, number];
    tail = [(a << 8) | b, (c << 8) | d];
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const parse = (part: string): number[] =>
    part === "" ? [] : part.split(":").map((h) => Number.parseInt(h, 16));
  const gap = text.indexOf("::");
  let words: number[];
  if (gap < 0) {
    words = parse(text);
  } else {
    const left = parse(text.slice(0, gap));
    const right = parse(text.slice(gap + 2));
    words = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  }
  if (tail !== undefined) [words[6], words[7]] = tail;
  const out = Buffer.alloc(16);
  words.forEach((w, i) => {
    out.writeUInt16BE(w, i * 2);
  });
  return out;
}
