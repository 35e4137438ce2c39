// The names of `wschan`'s flags: long name → short letter (if any). The one list the parser and
// the flag-coverage test read.

/** Flags that take a value. */
export const VALUE_FLAGS: Readonly<Record<string, string | undefined>> = {
  header: "H",
  protocol: "p",
  origin: "o",
  auth: undefined,
  compression: undefined,
  "compression-threshold": undefined,
  "dial-timeout": undefined,
  "read-timeout": undefined,
  "write-timeout": undefined,
  "read-limit": undefined,
  keepalive: undefined,
  "keepalive-timeout": undefined,
  ping: undefined,
  "ping-timeout": undefined,
  close: undefined,
  binary: undefined,
  ca: undefined,
  cert: undefined,
  key: undefined,
  servername: undefined,
  "tls-min": undefined,
  proxy: undefined,
  allow: undefined,
  deny: undefined,
  execute: "x",
  wait: "w",
  "history-file": undefined,
};

/** Flags that take no value. */
export const BOOLEAN_FLAGS: Readonly<Record<string, string | undefined>> = {
  json: undefined,
  raw: undefined,
  insecure: "k",
  "no-input": "n",
  once: "1",
  "binary-stdin": "b",
  "print-ping-rtts": undefined,
  "show-ping-pong": "P",
  "no-private-networks": undefined,
  quiet: "q",
  "no-color": undefined,
  "no-history": undefined,
  help: "h",
  version: "V",
};
