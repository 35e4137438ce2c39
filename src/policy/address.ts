import { isIPv4, isIPv6 } from "node:net";

/**
 * Address classification for the policy's `private_networks: false`: which IP addresses a
 * connection may not reach. Pure: strings in, names out.
 *
 * The rule is an allow-list, so that a range nobody thought of is refused rather than reached:
 * an address counts as public only if it is IPv4 unicast outside every range of IANA's
 * special-purpose registry that is not globally reachable, or IPv6 inside global unicast
 * (2000::/3) and outside the special ranges below. Addresses that embed an IPv4 address and
 * reach it (IPv4-mapped ::ffff:0:0/96, NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by the
 * IPv4 address they carry.
 */

type Range4 = readonly [base: number, bits: number, name: string];

/** IPv4 ranges that are not public, each with what it is. */
const RANGES_4: readonly Range4[] = [
  [ip4(0, 0, 0, 0), 8, "unspecified (0.0.0.0/8)"],
  [ip4(10, 0, 0, 0), 8, "private (10.0.0.0/8)"],
  [ip4(100, 64, 0, 0), 10, "CGNAT shared address space (100.64.0.0/10)"],
  [ip4(127, 0, 0, 0), 8, "loopback (127.0.0.0/8)"],
  [ip4(169, 254, 0, 0), 16, "link-local (169.254.0.0/16)"],
  [ip4(172, 16, 0, 0), 12, "private (172.16.0.0/12)"],
  [ip4(192, 0, 0, 0), 24, "IETF protocol assignments (192.0.0.0/24)"],
  [ip4(192, 0, 2, 0), 24, "documentation (192.0.2.0/24)"],
  [ip4(192, 88, 99, 0), 24, "deprecated 6to4 relay anycast (192.88.99.0/24)"],
  [ip4(192, 168, 0, 0), 16, "private (192.168.0.0/16)"],
  [ip4(198, 18, 0, 0), 15, "benchmarking (198.18.0.0/15)"],
  [ip4(198, 51, 100, 0), 24, "documentation (198.51.100.0/24)"],
  [ip4(203, 0, 113, 0), 24, "documentation (203.0.113.0/24)"],
  [ip4(224, 0, 0, 0), 4, "multicast (224.0.0.0/4)"],
  [ip4(240, 0, 0, 0), 4, "reserved (240.0.0.0/4, broadcast included)"],
];

function ip4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

function inRange4(value: number, base: number, bits: number): boolean {
  if (bits === 0) return true;
  const mask = (0xffffffff << (32 - bits)) >>> 0;
  return (value & mask) >>> 0 === base;
}

/** The range of a 32-bit IPv4 address, or undefined when it is public. */
function range4(value: number): string | undefined {
  for (const [base, bits, name] of RANGES_4) {
    if (inRange4(value, base, bits)) return name;
  }
  return undefined;
}

/** Parses a dotted-quad IPv4 address (as `net.isIPv4` accepts it) into 32 bits. */
function parse4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^[0-9]{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

/**
 * Parses an IPv6 address into its eight 16-bit groups: `::` compression, a dotted IPv4 tail and
 * a zone (`%eth0`, dropped) are understood. undefined when it is not IPv6.
 */
export function parseIPv6(text: string): number[] | undefined {
  const zone = text.indexOf("%");
  if (zone >= 0) text = text.slice(0, zone);
  if (!isIPv6(text)) return undefined;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  if (text.slice(lastColon + 1).includes(".")) {
    const v4 = parse4(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail = [v4 >>> 16, v4 & 0xffff];
    // Keep "::" intact when the IPv4 tail follows it directly ("::ffff:1.2.3.4", "::1.2.3.4").
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith("::")) text = text.slice(0, -1);
  }
  const groups = (part: string): number[] =>
    part === "" ? [] : part.split(":").map((group) => Number.parseInt(group, 16));
  const double = text.indexOf("::");
  let words: number[];
  if (double >= 0) {
    const head = groups(text.slice(0, double));
    const rest = groups(text.slice(double + 2));
    const missing = 8 - head.length - rest.length - tail.length;
    if (missing < 0) return undefined;
    words = [...head, ...new Array<number>(missing).fill(0), ...rest, ...tail];
  } else {
    words = [...groups(text), ...tail];
  }
  if (words.length !== 8 || words.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffff)) return undefined;
  return words;
}

/** The IPv4 address carried in groups `hi` and `lo`, judged on its own. */
function embedded(words: readonly number[], hi: number, lo: number, via: string): string | undefined {
  const value = ((words[hi]! << 16) | words[lo]!) >>> 0;
  const name = range4(value);
  return name === undefined ? undefined : `${via} ${name}`;
}

function prefix(words: readonly number[], values: readonly number[], bits: number): boolean {
  for (let i = 0; bits > 0; i++, bits -= 16) {
    const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    if ((words[i]! & mask) !== (values[i] ?? 0)) return false;
  }
  return true;
}

/** The range of an IPv6 address given as eight groups, or undefined when it is public. */
function range6(w: readonly number[]): string | undefined {
  if (w.every((x) => x === 0)) return "unspecified (::)";
  if (prefix(w, [0, 0, 0, 0, 0, 0, 0, 1], 128)) return "loopback (::1)";
  if (prefix(w, [0, 0, 0, 0, 0, 0xffff], 96)) return embedded(w, 6, 7, "IPv4-mapped");
  if (prefix(w, [0x64, 0xff9b, 0, 0, 0, 0], 96)) return embedded(w, 6, 7, "NAT64-translated");
  if (prefix(w, [0x64, 0xff9b, 1], 48)) return "NAT64 local-use (64:ff9b:1::/48)";
  if (prefix(w, [0x100, 0, 0, 0], 64)) return "discard-only (100::/64)";
  if (prefix(w, [0x2001, 0], 32)) return "Teredo tunnel (2001::/32)";
  if (prefix(w, [0x2001, 0xdb8], 32)) return "documentation (2001:db8::/32)";
  if (prefix(w, [0x2001, 0], 23)) return "IETF special-purpose (2001::/23)";
  if (prefix(w, [0x2002], 16)) return embedded(w, 1, 2, "6to4-embedded");
  if (prefix(w, [0x3fff, 0], 20)) return "documentation (3fff::/20)";
  if (prefix(w, [0x5f00], 16)) return "SRv6 segment identifiers (5f00::/16)";
  if (prefix(w, [0xfc00], 7)) return "unique-local (fc00::/7)";
  if (prefix(w, [0xfe80], 10)) return "link-local (fe80::/10)";
  if (prefix(w, [0xfec0], 10)) return "deprecated site-local (fec0::/10)";
  if (prefix(w, [0xff00], 8)) return "multicast (ff00::/8)";
  if (!prefix(w, [0x2000], 3)) return "reserved (outside global unicast 2000::/3)";
  return undefined;
}

/**
 * specialRange says why `address` (an IPv4 or IPv6 address as DNS or a URL gives it) is not a
 * public address, e.g. "loopback (127.0.0.0/8)" or "IPv4-mapped private (10.0.0.0/8)"; it
 * returns undefined for a public one. Anything that is not an IP address is refused too.
 */
export function specialRange(address: string): string | undefined {
  if (isIPv4(address)) {
    const value = parse4(address);
    return value === undefined ? "not a dotted-quad IPv4 address" : range4(value);
  }
  const words = parseIPv6(address);
  if (words === undefined) return "not an IP address";
  return range6(words);
}

/**
 * canonicalIp turns an IPv4-mapped IPv6 address into the IPv4 address it reaches, so that
 * `[::ffff:127.0.0.1]` and `127.0.0.1` compare equal; other addresses are returned as given.
 */
export function canonicalIp(address: string): string {
  const words = parseIPv6(address);
  if (words === undefined || !prefix(words, [0, 0, 0, 0, 0, 0xffff], 96)) return address;
  const hi = words[6]!;
  const lo = words[7]!;
  return `${hi >>> 8}.${hi & 0xff}.${lo >>> 8}.${lo & 0xff}`;
}
