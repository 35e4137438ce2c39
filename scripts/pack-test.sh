#!/usr/bin/env bash
# Packs wschan as npm would publish it, installs the tarball into a fresh project outside this
# tree (offline: the package has no runtime dependencies), and checks that it works from there:
# an ESM import that talks to a local server, the `wschan` bin, a TypeScript file type-checked
# with `tsc --noEmit` against the package's own .d.ts files (skipLibCheck off), and require() from
# a CommonJS project and from a TypeScript project compiled to CommonJS. WSCHAN_PACK_NODES may
# name more node binaries (e.g. Node 24) to run the ESM and CommonJS checks with as well.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/wschan-pack-test.XXXXXX")
trap 'rm -rf "$work"' EXIT

cd "$root"
echo "pack-test: npm pack (runs the build)"
tarball=$(npm pack --silent --pack-destination "$work" | tail -n 1)
[ -f "$work/$tarball" ] || { echo "pack-test: npm pack produced no tarball"; exit 1; }

# What goes into the package: the build and the docs, nothing from src/ or test/.
listing=$(tar -tzf "$work/$tarball")
for needed in package/package.json package/README.md package/LICENSE package/dist/index.js package/dist/index.d.ts package/dist/cli/main.js package/dist/cjs/index.js package/dist/cjs/index.d.ts package/dist/cjs/package.json \
  package/dist/web/index.js package/dist/web/index.d.ts package/dist/testing/index.js package/dist/testing/index.d.ts \
  package/dist/cjs/web/index.js package/dist/cjs/testing/index.js; do
  grep -qx "$needed" <<<"$listing" || { echo "pack-test: $needed is missing from $tarball"; exit 1; }
done
# Source maps would point at ../src, which is not shipped: the build makes none.
if grep -Eq '\.map$' <<<"$listing"; then
  echo "pack-test: $tarball ships source maps:"; grep -E '\.map$' <<<"$listing" | head; exit 1
fi
if grep -Eq '^package/(src|test|bench|autobahn|examples)/' <<<"$listing"; then
  echo "pack-test: $tarball holds development files:"; grep -E '^package/(src|test|bench|autobahn|examples)/' <<<"$listing" | head; exit 1
fi

# The tiny local server both the ESM and the CommonJS checks talk to (.cjs: it loads from either).
cat > "$work/peer.cjs" <<'JS'
// Completes the handshake, sends "hello from the server" and closes with 1000.
const { createHash } = require("node:crypto");
const net = require("node:net");

exports.startPeer = () =>
  new Promise((resolve) => {
    const server = net.createServer((socket) => {
      let head = "";
      socket.on("data", (chunk) => {
        head += chunk.toString("latin1");
        if (!head.includes("\r\n\r\n")) return;
        const key = /sec-websocket-key: *(\S+)/i.exec(head)?.[1] ?? "";
        const accept = createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
        const text = Buffer.from("hello from the server");
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
        socket.write(Buffer.concat([Buffer.from([0x81, text.length]), text, Buffer.from([0x88, 2, 0x03, 0xe8])]));
        socket.removeAllListeners("data");
        socket.on("data", () => socket.end()); // the client's Close: the handshake is done
      });
      socket.on("error", () => {});
    });
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
JS

app="$work/app"
mkdir -p "$app"
cd "$app"
cat > package.json <<'JSON'
{ "name": "wschan-pack-test", "version": "1.0.0", "private": true, "type": "module" }
JSON
echo "pack-test: installing $tarball into a clean project"
npm install --offline --no-audit --no-fund --loglevel=error "$work/$tarball"

cat > esm.mjs <<'JS'
// Imports the installed package as a user would, and talks to a tiny local server.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import * as websocket from "wschan";

const fail = (message) => {
  console.error(`pack-test: ${message}`);
  process.exit(1);
};
for (const name of ["connect", "select", "after", "Channel", "Client", "WebSocketError", "errors"]) {
  if (typeof websocket[name] !== "function" && typeof websocket[name] !== "object") fail(`export ${name} is missing`);
}
if (websocket.TEXT !== 1 || websocket.BINARY !== 2 || websocket.CLOSE_CODES.NORMAL !== 1000) fail("constants are wrong");
if (websocket.COMPRESSION.NO_CONTEXT !== 2 || !Object.isFrozen(websocket.COMPRESSION)) fail("COMPRESSION is wrong");
try {
  await websocket.connect("http://example.com/");
  fail("connect accepted an http: URL");
} catch (error) {
  if (!websocket.errors.is(error, websocket.errors.INVALID)) fail(`a bad URL gave ${error}, not INVALID`);
}

const server = await createRequire(import.meta.url)("../peer.cjs").startPeer();
const url = `ws://127.0.0.1:${server.address().port}/`;

const client = await websocket.connect(url, { dial_timeout: "5s" });
const [message, ok] = await client.channel().receive();
if (!ok || message.type !== "text" || message.data !== "hello from the server") fail(`received ${JSON.stringify(message)}`);
const closed = await client.closed;
if (closed.code !== 1000) fail(`closed with ${JSON.stringify(closed)}`);

// The bin, through node_modules/.bin as npx would run it.
const { version } = createRequire(import.meta.url)("wschan/package.json");
const bin = new URL("./node_modules/.bin/wschan", import.meta.url).pathname;
const printed = execFileSync(bin, ["--version"], { encoding: "utf8" });
if (printed !== `${version}\n`) fail(`wschan --version printed ${JSON.stringify(printed)}`);
const received = await new Promise((resolve, reject) => {
  // execFileSync would block the server in this same process, so run it asynchronously.
  import("node:child_process").then(({ execFile }) =>
    execFile(bin, ["-n", "-q", url], { encoding: "utf8" }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
  );
});
if (received !== "hello from the server\n") fail(`wschan printed ${JSON.stringify(received)}`);
server.close();
console.log(`pack-test: ESM import, a connection and the wschan bin work (wschan ${version})`);
JS
nodes=(node)
for extra in ${WSCHAN_PACK_NODES:-}; do nodes+=("$extra"); done
for n in "${nodes[@]}"; do
  echo "pack-test: ESM checks on Node $("$n" --version)"
  PATH="$(dirname "$(command -v "$n")"):$PATH" "$n" esm.mjs
done

cat > subpaths.mjs <<'JS'
// The subpath exports: wschan/testing's server talks to wschan/web's WebSocket and WebSocketStream.
import { TestServer } from "wschan/testing";
import { WebSocket, WebSocketStream } from "wschan/web";

const fail = (message) => {
  console.error(`pack-test: ${message}`);
  process.exit(1);
};
const timeout = setTimeout(() => fail("wschan/web and wschan/testing did not finish within 10 s"), 10_000);
const server = await TestServer.start();

const ws = new WebSocket(`${server.url}/web`);
const conn = await server.accept();
await new Promise((resolve) => ws.addEventListener("open", resolve, { once: true }));
ws.send("from wschan/web");
const got = await conn.expect();
if (got.type !== "text" || got.data !== "from wschan/web") fail(`the test server got ${JSON.stringify(got)}`);
const closed = new Promise((resolve) => (ws.onclose = resolve));
await conn.close(4000, "done");
const event = await closed;
if (event.code !== 4000 || event.reason !== "done" || !event.wasClean) fail(`close event ${event.code} ${event.reason}`);

const stream = new WebSocketStream(`${server.url}/stream`);
const streamConn = await server.accept();
const { readable } = await stream.opened;
await streamConn.send("to the stream");
const { value } = await readable.getReader().read();
if (value !== "to the stream") fail(`the stream read ${JSON.stringify(value)}`);
stream.close();
await stream.closed;
await server.close();
clearTimeout(timeout);
console.log("pack-test: wschan/web and wschan/testing import and work");
JS
node subpaths.mjs

cat > check.ts <<'TS'
// Type-checks a user's code against the installed package's declarations.
import * as websocket from "wschan";
import { type ConnectOptions, type Message, WebSocketError, connect, errors, select } from "wschan";
import { type TestMessage, TestServer } from "wschan/testing";
import { type CloseEvent, WebSocket, type WebSocketOpenInfo, WebSocketStream } from "wschan/web";

const options: ConnectOptions = {
  headers: { Authorization: "Bearer x" },
  protocols: ["graphql-ws"],
  dial_timeout: "10s",
  read_timeout: 30_000,
  compression: websocket.COMPRESSION.CONTEXT_TAKEOVER,
  read_limit: 1024,
};

export async function main(): Promise<number> {
  const client: websocket.Client = await connect("wss://example.com/", options);
  const sent: boolean = await client.send(new Uint8Array([1, 2]), websocket.BINARY);
  const ch = client.channel();
  const r = await select([ch.case_receive(), websocket.after("30s").case_receive()]);
  const [message, ok] = await ch.receive();
  if (ok) {
    const m: Message = message;
    if (m.type === "text") m.data.toUpperCase();
    else m.data.readUInt8(0);
  }
  const info: websocket.CloseInfo = await client.closed;
  try {
    await client.close(websocket.CLOSE_CODES.NORMAL, "bye");
  } catch (error) {
    if (errors.is(error, errors.TIMEOUT) && error instanceof WebSocketError && error.retryable) return 1;
  }
  // @ts-expect-error: compression takes one of COMPRESSION's values only
  const bad: ConnectOptions = { compression: 7 };
  return sent && r.ok && bad !== undefined ? info.code : 0;
}

export async function web(): Promise<string> {
  const server: TestServer = await TestServer.start();
  const Configured: typeof WebSocket = WebSocket.configure({ headers: { Authorization: "Bearer x" } });
  const ws = new Configured(server.url, ["chat"]);
  ws.binaryType = "arraybuffer";
  ws.onclose = (event) => (event as CloseEvent).code;
  const message: TestMessage = await (await server.accept()).expect("1s");
  const opened: WebSocketOpenInfo = await new WebSocketStream(server.url, { protocols: ["chat"] }).opened;
  await opened.writable.getWriter().write(new Uint8Array(1));
  return message.type === "text" ? message.data : String(ws.readyState === WebSocket.OPEN);
}
TS
cat > tsconfig.json <<JSON
{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "exactOptionalPropertyTypes": true,
    "noEmit": true,
    "skipLibCheck": false,
    "typeRoots": ["$root/node_modules/@types"],
    "types": ["node"]
  },
  "files": ["check.ts"]
}
JSON
echo "pack-test: tsc --noEmit on a TypeScript file that imports wschan"
node "$root/node_modules/typescript/bin/tsc" -p tsconfig.json
# CommonJS: require() from a "type": "commonjs" project, on every Node given. Node versions that
# can require an ES module (20.19+, 22.12+) take the ES build ("module-sync"), so one program
# holds one copy of the module state; older ones take dist/cjs.
cjs="$work/cjs-app"
mkdir -p "$cjs"
cd "$cjs"
cat > package.json <<'JSON'
{ "name": "wschan-pack-test-cjs", "version": "1.0.0", "private": true, "type": "commonjs" }
JSON
npm install --offline --no-audit --no-fund --loglevel=error "$work/$tarball"
cat > main.js <<'JS'
// require("wschan") as a CommonJS program would, then a connection to a tiny local server.
const websocket = require("wschan");

const fail = (message) => {
  console.error(`pack-test (cjs): ${message}`);
  process.exit(1);
};
for (const name of ["connect", "select", "after", "timer", "chan", "Channel", "Client", "WebSocketError", "errors", "policy"]) {
  if (websocket[name] === undefined) fail(`export ${name} is missing`);
}
if (websocket.TEXT !== 1 || websocket.CLOSE_CODES.NORMAL !== 1000) fail("constants are wrong");
require("../peer.cjs").startPeer().then(async (server) => {
  try {
    await websocket.connect("http://example.com/").then(
      () => fail("connect accepted an http: URL"),
      (error) => {
        if (!websocket.errors.is(error, websocket.errors.INVALID)) fail(`a bad URL gave ${error}`);
      },
    );
    const client = await websocket.connect(`ws://127.0.0.1:${server.address().port}/`, { dial_timeout: "5s" });
    const [message, ok] = await client.channel().receive();
    if (!ok || message.data !== "hello from the server") fail(`received ${JSON.stringify(message)}`);
    if ((await client.closed).code !== 1000) fail("did not close with 1000");
    const stop = websocket.chan(1);
    await stop.send("x");
    const r = await websocket.select([stop.case_receive(), websocket.after("1s").case_receive()]);
    if (r.index !== 0 || r.value !== "x") fail("select over a chan failed");
    server.close();
    console.log(`pack-test: require("wschan") works on Node ${process.version}`);
  } catch (error) {
    fail(String(error?.stack ?? error));
  }
});
JS
for n in "${nodes[@]}"; do "$n" main.js; done
# The CommonJS build, which Node versions before 20.19 get: without require(esm) Node does not
# match "module-sync" either, so this run takes dist/cjs as they would.
node --no-experimental-require-module -e '
  if (!require.resolve("wschan").endsWith("/dist/cjs/index.js")) { console.error(`pack-test: require resolved ${require.resolve("wschan")}`); process.exit(1); }
'
echo "pack-test: the same without require(esm), on the CommonJS build"
node --no-experimental-require-module main.js

# A TypeScript project with "module": "commonjs": type-checks against the package and runs.
cat > check.ts <<'TS'
import * as websocket from "wschan";
import { chan, errors, select, WebSocketError } from "wschan";

async function main(): Promise<void> {
  const ch = chan<number>(1);
  await ch.send(7);
  const r = await select([ch.case_receive(), websocket.after("1s").case_receive()]);
  if (r.index !== 0 || !r.ok || r.value + 1 !== 8) throw new Error("select failed");
  try {
    await websocket.connect("http://example.com/");
  } catch (err) {
    if (!(errors.is(err, errors.INVALID) && err instanceof WebSocketError)) throw err;
    console.log(`pack-test: a TypeScript project compiled to CommonJS works (${err.kind})`);
  }
}
void main();
TS
cat > tsconfig.json <<JSON
{
  "compilerOptions": {
    "target": "ES2022",
    "module": "commonjs",
    "strict": true,
    "exactOptionalPropertyTypes": true,
    "esModuleInterop": true,
    "skipLibCheck": false,
    "outDir": "out",
    "typeRoots": ["$root/node_modules/@types"],
    "types": ["node"]
  },
  "files": ["check.ts"]
}
JSON
echo "pack-test: tsc with \"module\": \"commonjs\", then node"
node "$root/node_modules/typescript/bin/tsc" -p tsconfig.json
for n in "${nodes[@]}"; do "$n" out/check.js; done
echo "pack-test: passed"
