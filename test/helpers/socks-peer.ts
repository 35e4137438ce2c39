import * as net from "node:net";

/**
 * A scripted SOCKS5 server (RFC 1928, RFC 1929) on 127.0.0.1 for what dante makes impractical in
 * tests: username/password authentication against fixed credentials, and chosen reply codes. A
 * granted CONNECT is tunnelled to 127.0.0.1 at the requested port, whatever the address.
 */
export interface SocksPeerOptions {
  /** "user:pass" to require RFC 1929 authentication. */
  readonly credentials?: string;
  /** Answer every CONNECT with this reply code instead of tunnelling. */
  readonly reply?: number;
  /** Answer the greeting with this method byte instead of choosing one. */
  readonly method?: number;
}

export interface SocksRecord {
  readonly methods: number[];
  readonly username?: string;
  readonly password?: string;
  /** "ipv4", "ipv6" or "domain", and the address or name asked for. */
  readonly type?: string;
  readonly host?: string;
  readonly port?: number;
}

export interface SocksPeer {
  readonly port: number;
  readonly records: SocksRecord[];
  close(): Promise<void>;
}

export async function startSocksPeer(options: SocksPeerOptions = {}): Promise<SocksPeer> {
  const records: SocksRecord[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => {});
    const record: { -readonly [K in keyof SocksRecord]: SocksRecord[K] } = { methods: [] };
    records.push(record);
    let buffer = Buffer.alloc(0);
    let state: "greeting" | "auth" | "request" | "done" = "greeting";
    client.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (state === "greeting") {
          if (buffer.length < 2 || buffer.length < 2 + buffer[1]!) return;
          record.methods = [...buffer.subarray(2, 2 + buffer[1]!)];
          buffer = buffer.subarray(2 + buffer[1]!);
          const method =
            options.method ?? (options.credentials === undefined ? 0 : record.methods.includes(2) ? 2 : 0xff);
          client.write(Buffer.from([5, method]));
          if (method === 0xff) {
            client.end();
            state = "done";
            return;
          }
          state = method === 2 ? "auth" : "request";
        } else if (state === "auth") {
          if (buffer.length < 2) return;
          const ulen = buffer[1]!;
          if (buffer.length < 3 + ulen || buffer.length < 3 + ulen + buffer[2 + ulen]!) return;
          const plen = buffer[2 + ulen]!;
          record.username = buffer.toString("utf8", 2, 2 + ulen);
          record.password = buffer.toString("utf8", 3 + ulen, 3 + ulen + plen);
          buffer = buffer.subarray(3 + ulen + plen);
          const ok = `${record.username}:${record.password}` === options.credentials;
          client.write(Buffer.from([1, ok ? 0 : 1]));
          if (!ok) {
            client.end();
            state = "done";
            return;
          }
          state = "request";
        } else if (state === "request") {
          if (buffer.length < 5) return;
          const atyp = buffer[3]!;
          const alen = atyp === 1 ? 4 : atyp === 4 ? 16 : 1 + buffer[4]!;
          if (buffer.length < 4 + alen + 2) return;
          const address = buffer.subarray(4, 4 + alen);
          record.type = atyp === 1 ? "ipv4" : atyp === 4 ? "ipv6" : "domain";
          record.host =
            atyp === 1
              ? [...address].join(".")
              : atyp === 4
                ? (address.toString("hex").match(/.{4}/g) ?? []).join(":")
                : address.toString("utf8", 1);
          record.port = buffer.readUInt16BE(4 + alen);
          const rest = buffer.subarray(4 + alen + 2);
          state = "done";
          const answer = (code: number): Buffer => Buffer.from([5, code, 0, 1, 127, 0, 0, 1, 0, 0]);
          if (options.reply !== undefined) {
            client.end(answer(options.reply));
            return;
          }
          const upstream = net.connect({ host: "127.0.0.1", port: record.port });
          sockets.add(upstream);
          upstream.on("close", () => sockets.delete(upstream));
          upstream.on("error", () => client.destroy());
          upstream.once("connect", () => {
            client.write(answer(0));
            if (rest.length > 0) upstream.write(rest);
            client.pipe(upstream);
            upstream.pipe(client);
          });
          client.removeAllListeners("data");
          client.pause();
          return;
        } else {
          return;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    records,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
