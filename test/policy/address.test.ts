import t from "tap";
import { canonicalIp, parseIPv6, specialRange } from "../../src/policy/address.js";

t.test("IPv4: every non-public range is named, the addresses around it are public", async (t) => {
  const table: [string, string | undefined][] = [
    ["0.0.0.0", "unspecified"],
    ["0.255.255.255", "unspecified"],
    ["1.0.0.0", undefined],
    ["9.255.255.255", undefined],
    ["10.0.0.0", "private"],
    ["10.255.255.255", "private"],
    ["11.0.0.0", undefined],
    ["100.63.255.255", undefined],
    ["100.64.0.0", "CGNAT"],
    ["100.127.255.255", "CGNAT"],
    ["100.128.0.0", undefined],
    ["126.255.255.255", undefined],
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["128.0.0.0", undefined],
    ["169.253.255.255", undefined],
    ["169.254.169.254", "link-local"],
    ["169.255.0.0", undefined],
    ["172.15.255.255", undefined],
    ["172.16.0.0", "private"],
    ["172.31.255.255", "private"],
    ["172.32.0.0", undefined],
    ["192.0.0.8", "IETF protocol assignments"],
    ["192.0.2.1", "documentation"],
    ["192.88.99.1", "6to4 relay"],
    ["192.167.255.255", undefined],
    ["192.168.0.1", "private"],
    ["192.168.255.255", "private"],
    ["192.169.0.0", undefined],
    ["198.17.255.255", undefined],
    ["198.18.0.0", "benchmarking"],
    ["198.19.255.255", "benchmarking"],
    ["198.20.0.0", undefined],
    ["198.51.100.7", "documentation"],
    ["203.0.113.7", "documentation"],
    ["223.255.255.255", undefined],
    ["224.0.0.1", "multicast"],
    ["239.255.255.255", "multicast"],
    ["240.0.0.1", "reserved"],
    ["255.255.255.255", "reserved"],
    ["8.8.8.8", undefined],
    ["93.184.216.34", undefined],
  ];
  for (const [address, expected] of table) {
    const range = specialRange(address);
    if (expected === undefined) t.equal(range, undefined, `${address} is public`);
    else t.match(range, expected, `${address} is ${expected}`);
  }
});

t.test("IPv6: special ranges, and addresses that carry IPv4 are judged by it", async (t) => {
  const table: [string, string | undefined][] = [
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["0:0:0:0:0:0:0:1", "loopback"],
    ["::ffff:127.0.0.1", "IPv4-mapped loopback"],
    ["::ffff:7f00:1", "IPv4-mapped loopback"],
    ["::FFFF:10.1.2.3", "IPv4-mapped private"],
    ["::ffff:169.254.169.254", "IPv4-mapped link-local"],
    ["::ffff:0.0.0.0", "IPv4-mapped unspecified"],
    ["::ffff:8.8.8.8", undefined],
    ["::7f00:1", "reserved"],
    ["::127.0.0.1", "reserved"],
    ["64:ff9b::7f00:1", "NAT64-translated loopback"],
    ["64:ff9b::192.168.0.1", "NAT64-translated private"],
    ["64:ff9b::808:808", undefined],
    ["64:ff9b:1::1", "NAT64 local-use"],
    ["100::1", "discard-only"],
    ["2001::1", "Teredo"],
    ["2001:db8::1", "documentation"],
    ["2001:2::1", "IETF special-purpose"],
    ["2002:7f00:1::", "6to4-embedded loopback"],
    ["2002:c0a8:101::1", "6to4-embedded private"],
    ["2002:808:808::1", undefined],
    ["3fff::1", "documentation"],
    ["5f00::1", "SRv6"],
    ["fc00::1", "unique-local"],
    ["fd12:3456:789a::1", "unique-local"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["febf:ffff::1", "link-local"],
    ["fec0::1", "site-local"],
    ["ff02::1", "multicast"],
    ["4000::1", "reserved"],
    ["1::1", "reserved"],
    ["2606:4700:4700::1111", undefined],
    ["2a00:1450:4001:80b::200e", undefined],
    ["3ffe::1", undefined],
  ];
  for (const [address, expected] of table) {
    const range = specialRange(address);
    if (expected === undefined) t.equal(range, undefined, `${address} is public`);
    else t.match(range, expected, `${address} is ${expected}`);
  }
});

t.test("what is not an IP address is never public", async (t) => {
  for (const text of [
    "",
    "localhost",
    "example.com",
    "1.2.3",
    "1.2.3.4.5",
    "256.0.0.1",
    ":::",
    "[::1]",
    "1::2::3",
  ]) {
    t.not(specialRange(text), undefined, JSON.stringify(text));
  }
});

t.test("parseIPv6 reads every textual form into the same eight groups", async (t) => {
  t.same(parseIPv6("::1"), [0, 0, 0, 0, 0, 0, 0, 1]);
  t.same(parseIPv6("1::"), [1, 0, 0, 0, 0, 0, 0, 0]);
  t.same(parseIPv6("1:2:3:4:5:6:7:8"), [1, 2, 3, 4, 5, 6, 7, 8]);
  t.same(parseIPv6("1:2:3:4:5:6:1.2.3.4"), [1, 2, 3, 4, 5, 6, 0x102, 0x304]);
  t.same(parseIPv6("::ffff:1.2.3.4"), [0, 0, 0, 0, 0, 0xffff, 0x102, 0x304]);
  t.same(parseIPv6("::1.2.3.4"), [0, 0, 0, 0, 0, 0, 0x102, 0x304]);
  t.same(parseIPv6("fe80::a:b%25eth0"), [0xfe80, 0, 0, 0, 0, 0, 0xa, 0xb]);
  t.same(parseIPv6("2001:DB8:0:0:1::1"), [0x2001, 0xdb8, 0, 0, 1, 0, 0, 1]);
  t.equal(parseIPv6("1.2.3.4"), undefined);
  t.equal(parseIPv6("1:2:3:4:5:6:7:8:9"), undefined);
  t.equal(parseIPv6("12345::"), undefined);
});

t.test("canonicalIp turns IPv4-mapped addresses into the IPv4 address they reach", async (t) => {
  t.equal(canonicalIp("::ffff:127.0.0.1"), "127.0.0.1");
  t.equal(canonicalIp("::ffff:7f00:1"), "127.0.0.1");
  t.equal(canonicalIp("::ffff:c0a8:0101"), "192.168.1.1");
  t.equal(canonicalIp("::1"), "::1");
  t.equal(canonicalIp("10.0.0.1"), "10.0.0.1");
  t.equal(canonicalIp("example.com"), "example.com");
});

t.test("every address of 127/8, 10/8 and fe80::/10 is refused, sampled at random", async (t) => {
  let refused = 0;
  for (let i = 0; i < 2000; i++) {
    const r = () => Math.floor(Math.random() * 256);
    if (specialRange(`127.${r()}.${r()}.${r()}`) !== undefined) refused++;
    if (specialRange(`10.${r()}.${r()}.${r()}`) !== undefined) refused++;
    const group = (0xfe80 | Math.floor(Math.random() * 0x40)).toString(16);
    if (specialRange(`${group}::${r().toString(16)}`) !== undefined) refused++;
  }
  t.equal(refused, 6000);
});
