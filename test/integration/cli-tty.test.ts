// `wschan` on a real terminal: tmux gives it a pseudo-terminal, the tests type keys (arrows,
// Ctrl-C, Ctrl-D) and read the screen, while `ws`'s server on 127.0.0.1 records what arrived.
// `npm test` builds dist/ before tap runs.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import t, { type Test } from "tap";
import type { WebSocket } from "ws";
import { haveTmux, Tty } from "../helpers/tty.js";
import { startWsPeer, type WsPeer } from "../helpers/ws-server.js";

// Generous bounds: the machine running the suite may be heavily loaded.
t.setTimeout(300_000);
t.jobs = 2;

const root = fileURLToPath(new URL("../../", import.meta.url));
const MAIN = join(root, "dist/cli/main.js");
if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" first (npm test does)`);
const skip = haveTmux() ? false : "tmux is needed for a pseudo-terminal (.ci/run installs it)";

/** What the server received on one connection. */
interface Seen {
  readonly messages: { data: string; binary: boolean }[];
  readonly closed: Promise<{ code: number; reason: string }>;
}

/** An echo server that records every message and the client's close. */
async function recordingPeer(t: Test, greeting?: string): Promise<{ peer: WsPeer; seen: Promise<Seen> }> {
  let report!: (seen: Seen) => void;
  const seen = new Promise<Seen>((resolve) => {
    report = resolve;
  });
  const peer = await startWsPeer({}, (ws: WebSocket) => {
    const messages: Seen["messages"] = [];
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    ws.on("message", (data, binary) => {
      const bytes = data as Buffer;
      messages.push({ data: binary ? bytes.toString("hex") : bytes.toString("utf8"), binary });
      ws.send(bytes, { binary });
    });
    if (greeting !== undefined) ws.send(greeting);
    report({ messages, closed });
  });
  t.teardown(() => peer.close());
  return { peer, seen };
}

/** A home directory of its own, so history files never touch the real one. */
function home(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), "wschan-tty-home-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The environment of the terminal: ours without tap's variables, NO_COLOR, WSCHAN_* or TMUX, with HOME and any extras. */
function env(homeDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(TAP|_TAPJS|NODE_OPTIONS$|NO_COLOR$|WSCHAN_|TMUX)/.test(k),
    ),
  );
  return { ...base, HOME: homeDir, TERM: "xterm-256color", ...extra };
}

/** Starts wschan on a terminal and waits for its prompt. */
async function open(t: Test, args: readonly string[], environment: NodeJS.ProcessEnv): Promise<Tty> {
  const tty = Tty.start([process.execPath, MAIN, ...args], environment);
  t.teardown(() => tty.kill());
  await tty.waitFor(/type \/help for commands[\s\S]*\n> $/m);
  return tty;
}

/** Waits until `check` holds, polling; fails the wait after `ms`. */
async function until(check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition never held");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

t.test("line editing, history recall with the up arrow, and slash commands", { skip }, async (t) => {
  const { peer, seen } = await recordingPeer(t);
  const tty = await open(t, [peer.url, "--no-history"], env(home(t)));
  const { messages, closed } = await seen;

  // Left arrow twice, then insert: the edit happens in the line, not as escape bytes sent.
  tty.type("abc");
  tty.keys("Left", "Left");
  tty.type("X");
  tty.keys("Enter");
  await tty.waitFor(/^< aXbc$/m);
  t.same(messages[0], { data: "aXbc", binary: false });

  // Up recalls the line; Enter sends it again.
  tty.type("second");
  tty.keys("Enter");
  await tty.waitFor(/^< second$/m);
  tty.keys("Up", "Up", "Enter");
  await until(() => messages.length === 3);
  t.same(messages[2], { data: "aXbc", binary: false }, "two ups reach the first line");

  tty.type("/ping hello");
  tty.keys("Enter");
  await tty.waitFor(/^< \[pong after [\d.]+ms\]$/m);

  tty.type("/binary 00ff10");
  tty.keys("Enter");
  await tty.waitFor(/^< \[binary 3 bytes\] 00ff10$/m);
  t.same(messages[3], { data: "00ff10", binary: true });
  tty.type("/binary base64 AAH/");
  tty.keys("Enter");
  await until(() => messages.length === 5);
  t.same(messages[4], { data: "0001ff", binary: true });

  tty.type("//slash");
  tty.keys("Enter");
  await until(() => messages.length === 6);
  t.same(messages[5], { data: "/slash", binary: false }, "// sends a line that starts with /");

  tty.type("/nonsense");
  tty.keys("Enter");
  await tty.waitFor(/unknown command \/nonsense/);
  tty.type("/help");
  tty.keys("Enter");
  await tty.waitFor(/\/close \[CODE \[REASON\]\]/);
  t.equal(messages.length, 6, "neither an unknown command nor /help sends anything");

  tty.type("/close 4000 done here");
  tty.keys("Enter");
  t.same(await closed, { code: 4000, reason: "done here" });
  const screen = await tty.waitFor(/\[exit \d+\]/);
  t.match(
    screen,
    /closed with code 4000 "done here"\n\[exit 0\]/,
    "the echo of our own code is a normal end",
  );
});

t.test(
  "history is kept under HOME and recalled in the next session; opt-outs keep none",
  { skip },
  async (t) => {
    const { peer, seen } = await recordingPeer(t);
    const dir = home(t);
    const first = await open(t, [peer.url], env(dir));
    first.type("remember me");
    first.keys("Enter");
    await first.waitFor(/^< remember me$/m);
    first.type("/quit");
    first.keys("Enter");
    await first.waitFor(/\[exit 0\]/);
    const file = join(dir, ".wschan_history");
    t.equal(readFileSync(file, "utf8"), "remember me\n/quit\n");

    const second = await open(t, [peer.url], env(dir));
    second.keys("Up", "Up", "Enter");
    await second.waitFor(/^< remember me$/m);
    second.keys("C-d");
    await second.waitFor(/\[exit 0\]/);
    void seen;

    const other = home(t);
    const off = await open(t, ["--no-history", peer.url], env(other));
    off.type("not kept");
    off.keys("Enter");
    await off.waitFor(/^< not kept$/m);
    off.keys("C-d");
    await off.waitFor(/\[exit 0\]/);
    const byEnv = await open(t, [peer.url], env(other, { WSCHAN_NO_HISTORY: "1" }));
    byEnv.type("not kept either");
    byEnv.keys("Enter");
    await byEnv.waitFor(/^< not kept either$/m);
    byEnv.keys("C-d");
    await byEnv.waitFor(/\[exit 0\]/);
    t.notOk(
      existsSync(join(other, ".wschan_history")),
      "no history file with --no-history or WSCHAN_NO_HISTORY",
    );
  },
);

t.test("colour on a terminal, none with NO_COLOR", { skip }, async (t) => {
  const { peer } = await recordingPeer(t, "from the server");
  const colour = await open(t, [peer.url, "--no-history"], env(home(t)));
  await colour.waitFor(/< from the server/);
  // tmux re-renders the screen's attributes, adding a default background (49) of its own.
  const withEscapes = colour.screen(true);
  t.match(withEscapes, /\u001b\[36m(?:\u001b\[49m)?<\u001b\[39m from the server/, "received prefix in cyan");
  t.match(withEscapes, /\u001b\[32m> /, "prompt in green");

  const plain = await open(t, [peer.url, "--no-history"], env(home(t), { NO_COLOR: "1" }));
  await plain.waitFor(/^< from the server$/m);
  t.notMatch(plain.screen(true), /\u001b\[3\dm/, "no colour at all with NO_COLOR");
});

t.test("escape sequences from the server are shown escaped, never interpreted", { skip }, async (t) => {
  const hostile = "\u001b[2J\u001b]0;pwned\u0007evil\r\nsecond line\u009b31m\u202eTXT";
  const { peer } = await recordingPeer(t, hostile);
  const tty = await open(t, [peer.url, "--no-history"], env(home(t)));
  const screen = await tty.waitFor(/evil/);
  t.match(
    screen,
    /^< \\x1b\[2J\\x1b\]0;pwned\\x07evil\\r\\nsecond line\\x9b31m\\u202eTXT$/m,
    "every control character shown as an escape, the message on one line",
  );
  t.match(screen, /connected to/, "the screen was not cleared");
  t.not(tty.title(), "pwned", "the window title was not changed");
});

t.test("the first Ctrl-C closes with 1000 and exits 0; so does Ctrl-D", { skip }, async (t) => {
  const { peer, seen } = await recordingPeer(t);
  const tty = await open(t, [peer.url, "--no-history"], env(home(t)));
  const { closed } = await seen;
  tty.type("half a line");
  tty.keys("C-c");
  t.same(await closed, { code: 1000, reason: "" }, "the server saw a normal Close");
  await tty.waitFor(/closed with code 1000\n\[exit 0\]/);

  const second = await recordingPeer(t);
  const d = await open(t, [second.peer.url, "--no-history"], env(home(t)));
  const other = await second.seen;
  d.keys("C-d");
  t.same(await other.closed, { code: 1000, reason: "" });
  await d.waitFor(/\[exit 0\]/);
});
