import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** PEM text of a certificate and its private key. */
export interface Pair {
  readonly cert: string;
  readonly key: string;
}

/** Certificates generated for one test run with openssl (Node 20 cannot make X.509 by itself). */
export interface TestCerts {
  /** The CA the tests trust. */
  readonly ca: Pair;
  /** A CA nobody trusts, and a server certificate for ws.test signed by it. */
  readonly otherCa: Pair;
  readonly untrusted: Pair;
  /** Server certificate for DNS:ws.test and IP:127.0.0.1, signed by `ca`, valid now. */
  readonly server: Pair;
  /** Server certificate for DNS:ws.test only (no IP), signed by `ca`. */
  readonly nameOnly: Pair;
  /** Server certificate for ws.test, signed by `ca`, valid only on 1–2 January 2020. */
  readonly expired: Pair;
  /** CA for client certificates, and a client certificate (CN=test-client) whose key is encrypted with `passphrase`. */
  readonly clientCa: Pair;
  readonly client: Pair;
  readonly passphrase: string;
}

/** Whether openssl can be run. */
export function haveOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Generates every certificate the TLS tests need, in a temporary directory removed afterwards (about 0.3 s). */
export function makeCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), "wschan-certs-"));
  const path = (name: string): string => join(dir, name);
  const run = (...args: string[]): void => {
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  };
  const read = (name: string): string => readFileSync(path(name), "utf8");
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
  try {
    const makeCa = (name: string, cn: string): Pair => {
      run(
        "req",
        "-x509",
        ...ec,
        "-nodes",
        "-keyout",
        `${name}.key`,
        "-out",
        `${name}.crt`,
        "-subj",
        `/CN=${cn}`,
        "-days",
        "2",
      );
      return { cert: read(`${name}.crt`), key: read(`${name}.key`) };
    };
    const request = (name: string, cn: string, encrypt?: string): void => {
      const keyArgs = encrypt === undefined ? ["-nodes"] : ["-passout", `pass:${encrypt}`];
      run("req", ...ec, ...keyArgs, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`);
    };
    const sign = (name: string, ca: string, san: string | undefined): Pair => {
      const ext = path(`${name}.ext`);
      writeFileSync(ext, san === undefined ? "basicConstraints=CA:FALSE\n" : `subjectAltName=${san}\n`);
      run(
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        `${ca}.crt`,
        "-CAkey",
        `${ca}.key`,
        "-CAcreateserial",
        "-out",
        `${name}.crt`,
        "-days",
        "2",
        "-extfile",
        ext,
      );
      return { cert: read(`${name}.crt`), key: read(`${name}.key`) };
    };
    const ca = makeCa("ca", "wschan test CA");
    const otherCa = makeCa("other", "wschan untrusted CA");
    const clientCa = makeCa("clientca", "wschan client CA");
    request("server", "ws.test");
    const server = sign("server", "ca", "DNS:ws.test,IP:127.0.0.1");
    request("nameonly", "ws.test");
    const nameOnly = sign("nameonly", "ca", "DNS:ws.test");
    request("untrusted", "ws.test");
    const untrusted = sign("untrusted", "other", "DNS:ws.test,IP:127.0.0.1");
    const passphrase = "correct horse";
    request("client", "test-client", passphrase);
    const client = sign("client", "clientca", undefined);

    // A certificate from the past needs `openssl ca`, the only command that takes explicit dates.
    request("expired", "ws.test");
    writeFileSync(path("index.txt"), "");
    writeFileSync(path("serial"), "1000\n");
    writeFileSync(
      path("ca.cnf"),
      [
        "[ca]",
        "default_ca = test",
        "[test]",
        `database = ${path("index.txt")}`,
        `new_certs_dir = ${dir}`,
        `serial = ${path("serial")}`,
        "default_md = sha256",
        "policy = any",
        "unique_subject = no",
        "[any]",
        "commonName = supplied",
        "[ext]",
        "subjectAltName = DNS:ws.test,IP:127.0.0.1",
        "",
      ].join("\n"),
    );
    run(
      "ca",
      "-batch",
      "-config",
      "ca.cnf",
      "-cert",
      "ca.crt",
      "-keyfile",
      "ca.key",
      "-in",
      "expired.csr",
      "-out",
      "expired.crt",
      "-startdate",
      "20200101000000Z",
      "-enddate",
      "20200102000000Z",
      "-extensions",
      "ext",
      "-notext",
    );
    const expired = { cert: read("expired.crt"), key: read("expired.key") };
    return { ca, otherCa, untrusted, server, nameOnly, expired, clientCa, client, passphrase };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
