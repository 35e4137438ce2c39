import t from "tap";
import { connectRequest, ipv6Bytes, Socks5Client, socksReply } from "../../src/routes/socks5.js";

/** The client side of RFC 1928/1929, byte by byte. */

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

t.test(
  "no authentication: greeting, CONNECT by domain name, success with a bound IPv4 address",
  async (t) => {
    const socks = new Socks5Client({ host: "chat.example", port: 8080 });
    t.same([...socks.start()], [5, 1, 0], "offers only 'no authentication'");
    const chosen = socks.receive(bytes(5, 0));
    t.equal(chosen.kind, "more");
    const request = chosen.kind === "more" ? [...(chosen.send ?? [])] : [];
    t.same(request, [5, 1, 0, 3, 12, ...Buffer.from("chat.example"), 0x1f, 0x90]);
    const open = socks.receive(bytes(5, 0, 0, 1, 10, 0, 0, 1, 0x30, 0x39, 0x81, 0x82));
    t.same(open.kind === "open" ? [...open.rest] : undefined, [0x81, 0x82], "bytes after the reply are kept");
  },
);

t.test("fed one byte at a time, with a domain-name and an IPv6 bound address", async (t) => {
  for (const bound of [
    [3, 4, ...Buffer.from("host")],
    [4, ...new Array<number>(16).fill(0)],
  ]) {
    const socks = new Socks5Client({ host: "10.1.2.3", port: 443 });
    socks.start();
    const sent: number[] = [];
    let last: ReturnType<Socks5Client["receive"]> | undefined;
    for (const b of [5, 0, 5, 0, 0, ...bound, 1, 187]) {
      last = socks.receive(bytes(b));
      if (last.kind === "more" && last.send) sent.push(...last.send);
      if (last.kind !== "more") break;
    }
    t.same(sent, [5, 1, 0, 1, 10, 1, 2, 3, 1, 187], "an IPv4 address is sent as one");
    t.equal(last?.kind, "open");
  }
});

t.test("username/password (RFC 1929)", async (t) => {
  const socks = new Socks5Client({
    host: "::1",
    port: 80,
    credentials: { username: "üser", password: "pw" },
  });
  t.same([...socks.start()], [5, 2, 0, 2], "offers both methods");
  const auth = socks.receive(bytes(5, 2));
  const user = Buffer.from("üser");
  t.same(auth.kind === "more" ? [...(auth.send ?? [])] : [], [
    1,
    user.length,
    ...user,
    2,
    ...Buffer.from("pw"),
  ]);
  const request = socks.receive(bytes(1, 0));
  t.same(request.kind === "more" ? [...(request.send ?? [])] : [], [5, 1, 0, 4, ...ipv6Bytes("::1"), 0, 80]);
  const refused = new Socks5Client({ host: "h", port: 1, credentials: { username: "u", password: "p" } });
  refused.start();
  refused.receive(bytes(5, 2));
  t.match(refused.receive(bytes(1, 1)), { kind: "failure", reason: "refused", retryable: false });
});

t.test("refusals carry the reply code and whether a retry may help", async (t) => {
  const expected: [number, boolean][] = [
    [1, true],
    [2, false],
    [3, true],
    [4, true],
    [5, true],
    [6, true],
    [7, false],
    [8, false],
    [9, false],
  ];
  for (const [code, retryable] of expected) {
    const socks = new Socks5Client({ host: "h", port: 1 });
    socks.start();
    socks.receive(bytes(5, 0));
    const step = socks.receive(bytes(5, code, 0, 1, 0, 0, 0, 0, 0, 0));
    t.match(step, { kind: "failure", reason: "refused", reply: code, retryable }, `reply ${code}`);
    t.equal(socksReply(code).retryable, retryable);
  }
});

t.test(
  "a peer that is not a SOCKS5 server, or picks what was not offered, is a protocol failure",
  async (t) => {
    const cases: [string, Uint8Array, { username: string; password: string } | undefined][] = [
      ["an HTTP answer", Buffer.from("HTTP/1.1 400 Bad Request\r\n\r\n"), undefined],
      ["SOCKS4", bytes(4, 0x5a), undefined],
      ["password method not offered", bytes(5, 2), undefined],
      ["GSSAPI", bytes(5, 1), { username: "u", password: "p" }],
    ];
    for (const [name, answer, credentials] of cases) {
      const socks = new Socks5Client({ host: "h", port: 1, credentials });
      socks.start();
      t.match(socks.receive(answer), { kind: "failure", reason: "protocol", retryable: false }, name);
    }
    const none = new Socks5Client({ host: "h", port: 1 });
    none.start();
    t.match(none.receive(bytes(5, 0xff)), {
      kind: "failure",
      reason: "refused",
      message: /requires authentication/,
    });
    const badType = new Socks5Client({ host: "h", port: 1 });
    badType.start();
    badType.receive(bytes(5, 0));
    t.match(badType.receive(bytes(5, 0, 0, 9, 0)), { kind: "failure", reason: "protocol" });
  },
);

t.test("CONNECT requests and IPv6 bytes", async (t) => {
  t.same([...connectRequest("1.2.3.4", 65535)], [5, 1, 0, 1, 1, 2, 3, 4, 255, 255]);
  t.same(Buffer.from(ipv6Bytes("2001:db8::1")).toString("hex"), "20010db8000000000000000000000001");
  t.same(Buffer.from(ipv6Bytes("::ffff:10.0.0.1")).toString("hex"), "00000000000000000000ffff0a000001");
  t.same(Buffer.from(ipv6Bytes("::")).toString("hex"), "0".repeat(32));
  t.same(Buffer.from(ipv6Bytes("1:2:3:4:5:6:7:8")).toString("hex"), "00010002000300040005000600070008");
});
