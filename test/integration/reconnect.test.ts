import { getEventListeners } from "node:events";
import { type AddressInfo, createServer, type Socket } from "node:net";
import t, { type Test } from "tap";
import { type WebSocket, WebSocketServer } from "ws";
import {
  defaultReconnectEnv,
  type ReconnectEnv,
  reconnectWith,
  retryAfterOf,
} from "../../src/client/reconnect.js";
import * as websocket from "../../src/index.js";

t.setTimeout(20_000);

/** What the server does with one handshake: accept it (true) or refuse it with an HTTP status. */
type Verdict = true | number;

/**
 * `ws`'s server on 127.0.0.1 that can be stopped and started again on the same port, refuse
 * handshakes with a status, and log what it saw into a shared event list.
 */
class RestartableServer {
  port = 0;
  /** Verdicts for the next handshakes, in order; once used up, handshakes are accepted. */
  verdicts: Verdict[] = [];
  /** Headers sent with every refusal (Retry-After, say). */
  refusalHeaders: Record<string, string> = {};
  /** Called with each accepted connection and its number (from 1). */
  onOpen: (ws: WebSocket, n: number) => void = () => {};
  /** The server side of each accepted connection, in order. */
  readonly sockets: WebSocket[] = [];
  /** Close codes the server received, in order of connection. */
  readonly closeCodes: number[] = [];
  #wss: WebSocketServer | undefined;

  constructor(readonly events: string[]) {}

  get url(): string {
    return `ws://127.0.0.1:${this.port}/prices`;
  }

  async start(): Promise<void> {
    const wss = new WebSocketServer({
      host: "127.0.0.1",
      port: this.port,
      verifyClient: (_info, done) => {
        const verdict = this.verdicts.shift() ?? true;
        if (verdict === true) {
          done(true);
        } else {
          this.events.push(`refused ${verdict}`);
          done(false, verdict, undefined, this.refusalHeaders);
        }
      },
    });
    await new Promise<void>((resolve, reject) => {
      wss.once("listening", resolve);
      wss.once("error", reject);
    });
    this.port = (wss.address() as AddressInfo).port;
    wss.on("connection", (ws) => {
      this.sockets.push(ws);
      const n = this.sockets.length;
      ws.once("close", (code) => {
        this.closeCodes[n - 1] = code;
      });
      this.events.push(`open ${n}`);
      this.onOpen(ws, n);
    });
    this.#wss = wss;
  }

  async stop(): Promise<void> {
    const wss = this.#wss;
    if (wss === undefined) return;
    this.#wss = undefined;
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }
}

/**
 * A deterministic environment: a fixed jitter draw, a clock that moves only when told, and a
 * sleep that logs its delay, runs an optional hook, then really waits (delays here are a few ms).
 */
function harness(random = 0.5) {
  const events: string[] = [];
  let clock = 0;
  let waits = 0;
  const h = {
    events,
    /** Runs before the n-th wait (from 1) starts. */
    onWait: undefined as ((n: number) => void | Promise<void>) | undefined,
    /** Moves the clock: a connection open across a big enough move "stayed up". */
    advance(ms: number): void {
      clock += ms;
    },
    env: {
      random: () => random,
      now: () => clock,
      wallClock: () => Date.now(),
      async sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
        events.push(`wait ${ms}`);
        await h.onWait?.(++waits);
        await defaultReconnectEnv.sleep(ms, signal);
      },
    } satisfies ReconnectEnv,
  };
  return h;
}

async function started(t: Test, events: string[]): Promise<RestartableServer> {
  const server = new RestartableServer(events);
  await server.start();
  t.teardown(() => server.stop());
  return server;
}

/** A port on 127.0.0.1 where nothing listens. */
async function deadPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Collects the iteration's outcome: the closes seen, and how it ended. */
async function drive(
  iterable: AsyncIterable<websocket.Client>,
  events: string[],
  body?: (client: websocket.Client, n: number) => Promise<void>,
): Promise<{ closes: websocket.CloseInfo[]; error?: unknown }> {
  const closes: websocket.CloseInfo[] = [];
  let n = 0;
  try {
    for await (const client of iterable) {
      n++;
      events.push(`yield ${n}`);
      await body?.(client, n);
      const info = await client.closed;
      closes.push({ code: info.code, reason: info.reason, clean: info.clean });
    }
  } catch (error) {
    return { closes, error };
  }
  return { closes };
}

t.test(
  "a server that restarts: backoff while it is down, reset after a connection that stayed up",
  async (t) => {
    const h = harness(0.5);
    const server = await started(t, h.events);
    server.onOpen = (ws, n) => {
      if (n === 2) ws.close(1012, "restart"); // at once: did not stay up
    };
    h.onWait = async (n) => {
      if (n === 3) await server.start(); // back on the same port before the third retry
    };
    const result = await drive(
      reconnectWith(server.url, {}, { min_delay: 10, max_delay: 80 }, h.env),
      h.events,
      async (client, n) => {
        if (n === 1) {
          h.advance(1000); // stayed up
          server.sockets[0]!.close(1001, "going down");
          await client.closed;
          await server.stop(); // nothing listens during the next two dials
        } else if (n === 3) {
          h.advance(1000);
          server.sockets[2]!.terminate(); // 1006
        } else if (n === 4) {
          server.sockets[3]!.close(1000, "done");
        }
      },
    );
    t.equal(result.error, undefined, "a close with 1000 ends the iteration without an error");
    t.same(h.events, [
      "open 1",
      "yield 1",
      "wait 5", // stayed up: the backoff starts from min_delay, 0.5 × 10
      "wait 10", // connection refused: 0.5 × 20
      "wait 20", // connection refused: 0.5 × 40; the server is back
      "open 2",
      "yield 2",
      "wait 40", // a connection that did not stay up does not reset: 0.5 × min(80, 10 × 2³)
      "open 3",
      "yield 3",
      "wait 5", // stayed up again: reset
      "open 4",
      "yield 4",
    ]);
    t.same(
      result.closes.map((c) => c.code),
      [1001, 1012, 1006, 1000],
    );
    t.equal(server.port, Number(new URL(server.url).port), "the server came back on the same port");
  },
);

t.test(
  "each close code: 1000 and 1005 end, 1001/1006/1011/1012/1013 reconnect, 1013 after a longer delay",
  async (t) => {
    // min_delay 10, full jitter drawing 0.5: an ordinary first retry waits 5 ms; after 1013 the
    // ceiling is min(max_delay, 10 × min_delay) = 100 and the draw comes from its upper half: 75 ms.
    const table: [code: number, expected: string[]][] = [
      [1000, ["open 1", "yield 1"]],
      [1005, ["open 1", "yield 1"]],
      [1001, ["open 1", "yield 1", "wait 5", "open 2", "yield 2"]],
      [1006, ["open 1", "yield 1", "wait 5", "open 2", "yield 2"]],
      [1011, ["open 1", "yield 1", "wait 5", "open 2", "yield 2"]],
      [1012, ["open 1", "yield 1", "wait 5", "open 2", "yield 2"]],
      [1013, ["open 1", "yield 1", "wait 75", "open 2", "yield 2"]],
    ];
    for (const [code, expected] of table) {
      await t.test(`${code}`, async (t) => {
        const h = harness(0.5);
        const server = await started(t, h.events);
        server.onOpen = (ws, n) => {
          if (n > 1) ws.close(1000);
          else if (code === 1006) ws.terminate();
          else if (code === 1005)
            ws.close(); // a Close without a code
          else ws.close(code, `closing with ${code}`);
        };
        const result = await drive(
          reconnectWith(server.url, {}, { min_delay: 10, max_delay: 200 }, h.env),
          h.events,
        );
        t.equal(result.error, undefined);
        t.same(h.events, expected);
        t.equal(result.closes[0]?.code, code);
        t.equal(result.closes[0]?.clean, code !== 1006);
      });
    }
  },
);

t.test(
  "other close codes (1003, 1008, 4000) stop with a non-retryable error carrying the code",
  async (t) => {
    for (const code of [1003, 1008, 4000]) {
      await t.test(`${code}`, async (t) => {
        const h = harness();
        const server = await started(t, h.events);
        server.onOpen = (ws) => ws.close(code, "go away");
        const result = await drive(reconnectWith(server.url, {}, { min_delay: 10 }, h.env), h.events);
        t.match(result.error, {
          name: "WebSocketError",
          kind: "INTERNAL",
          retryable: false,
          code,
          reason: "go away",
          message: new RegExp(`closed with ${code}.*: go away; not reconnecting`),
        });
        t.same(h.events, ["open 1", "yield 1"], "no second dial");
      });
    }
  },
);

t.test(
  "connection refused: retried with backoff, the last error thrown after max_attempts dials",
  async (t) => {
    const h = harness();
    const port = await deadPort();
    const started = performance.now();
    const result = await drive(
      reconnectWith(
        `ws://127.0.0.1:${port}/`,
        {},
        { min_delay: 10, max_delay: 25, jitter: "none", max_attempts: 4 },
        h.env,
      ),
      h.events,
    );
    t.match(result.error, {
      name: "WebSocketError",
      kind: "INTERNAL",
      retryable: true,
      message: /ECONNREFUSED/,
    });
    t.same(h.events, ["wait 10", "wait 20", "wait 25"], "4 dials, 3 waits, the last capped at max_delay");
    t.ok(performance.now() - started >= 55, "the waits really happened");
  },
);

t.test("503 and 429 are retried; a success resets the count of failed dials", async (t) => {
  const h = harness();
  const server = await started(t, h.events);
  // max_attempts 3 would be exceeded by four refusals in a row, but never by two.
  server.verdicts = [503, 429, true, 503, 503, true];
  server.onOpen = (ws, n) => ws.close(n === 1 ? 1012 : 1000);
  const result = await drive(
    reconnectWith(server.url, {}, { min_delay: 5, max_delay: 1000, jitter: false, max_attempts: 3 }, h.env),
    h.events,
  );
  t.equal(result.error, undefined);
  t.same(h.events, [
    "refused 503",
    "wait 5",
    "refused 429",
    "wait 10",
    "open 1",
    "yield 1",
    "wait 20", // the connection did not stay up: the backoff goes on
    "refused 503",
    "wait 40",
    "refused 503",
    "wait 80",
    "open 2",
    "yield 2",
  ]);
});

t.test("503 every time: the 503 is thrown after max_attempts dials", async (t) => {
  const h = harness();
  const server = await started(t, h.events);
  server.verdicts = [503, 503, 503];
  const result = await drive(
    reconnectWith(server.url, {}, { min_delay: 5, jitter: "none", max_attempts: 2 }, h.env),
    h.events,
  );
  t.match(result.error, { kind: "INTERNAL", retryable: true, status: 503 });
  t.same(h.events, ["refused 503", "wait 5", "refused 503"]);
});

t.test("403 is not retried: thrown at once", async (t) => {
  const h = harness();
  const server = await started(t, h.events);
  server.verdicts = [403];
  const result = await drive(reconnectWith(server.url, {}, { min_delay: 5 }, h.env), h.events);
  t.match(result.error, { kind: "INTERNAL", retryable: false, status: 403 });
  t.same(h.events, ["refused 403"]);
});

t.test(
  "a bad URL or connect option rejects the first iteration with INVALID, dialling nothing",
  async (t) => {
    const h = harness();
    const server = await started(t, h.events);
    const badUrl = await drive(reconnectWith("http://127.0.0.1/", {}, {}, h.env), h.events);
    t.match(badUrl.error, { kind: "INVALID", retryable: false });
    const badOption = await drive(
      reconnectWith(server.url, { read_limit: -1 }, { min_delay: 5 }, h.env),
      h.events,
    );
    t.match(badOption.error, { kind: "INVALID", message: /read_limit/ });
    t.same(h.events, [], "no dial, no wait");
  },
);

t.test("abort: before the first dial, during a wait, while a client is held, during a dial", async (t) => {
  await t.test("an aborted signal dials nothing", async (t) => {
    const h = harness();
    const server = await started(t, h.events);
    const result = await drive(
      reconnectWith(server.url, {}, { signal: AbortSignal.abort() }, h.env),
      h.events,
    );
    t.match(result.error, { name: "WebSocketError", kind: "CANCELED", retryable: false });
    t.same(h.events, []);
  });

  await t.test("a wait in progress ends at once", async (t) => {
    const h = harness();
    const port = await deadPort();
    const controller = new AbortController();
    h.onWait = () => {
      setTimeout(() => controller.abort(), 20);
    };
    const started = performance.now();
    const result = await drive(
      reconnectWith(
        `ws://127.0.0.1:${port}/`,
        {},
        { min_delay: "5s", jitter: "none", signal: controller.signal },
        h.env,
      ),
      h.events,
    );
    t.match(result.error, { kind: "CANCELED", retryable: false });
    t.same(h.events, ["wait 5000"]);
    t.ok(performance.now() - started < 2000, "the 5 s wait was cut short");
  });

  await t.test(
    "the client held by the consumer is closed with 1001, then the iteration throws",
    async (t) => {
      const h = harness();
      const server = await started(t, h.events);
      const controller = new AbortController();
      const result = await drive(
        reconnectWith(server.url, {}, { min_delay: 5, signal: controller.signal }, h.env),
        h.events,
        async () => {
          controller.abort();
        },
      );
      t.match(result.error, { kind: "CANCELED" });
      t.match(result.closes, [{ code: 1001, clean: true }]);
      t.same(h.events, ["open 1", "yield 1"]);
      await new Promise((resolve) => setTimeout(resolve, 20));
      t.same(server.closeCodes, [1001], "the server saw 1001");
    },
  );

  await t.test("a dial in progress is abandoned at once", async (t) => {
    // A server that accepts TCP and never answers the handshake.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {});
      socket.resume(); // read, so that the client's FIN is seen
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    t.teardown(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const port = (silent.address() as AddressInfo).port;
    const h = harness();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const started = performance.now();
    const result = await drive(
      reconnectWith(
        `ws://127.0.0.1:${port}/`,
        { dial_timeout: "5s" },
        { min_delay: 5, signal: controller.signal },
        h.env,
      ),
      h.events,
    );
    t.match(result.error, { kind: "CANCELED" });
    t.ok(performance.now() - started < 1000, "did not wait for the dial timeout");
    t.same(h.events, []);
    for (let i = 0; i < 50 && sockets.size > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    t.equal(sockets.size, 0, "the dial's socket was closed, not left to the dial timeout");
  });

  await t.test("the connect option signal stops the iteration too", async (t) => {
    const h = harness();
    const port = await deadPort();
    const controller = new AbortController();
    h.onWait = (n) => {
      if (n === 2) controller.abort();
    };
    const result = await drive(
      reconnectWith(
        `ws://127.0.0.1:${port}/`,
        { signal: controller.signal },
        { min_delay: 5, jitter: false, signal: new AbortController().signal },
        h.env,
      ),
      h.events,
    );
    t.match(result.error, { kind: "CANCELED" });
    t.same(h.events, ["wait 5", "wait 10"]);
  });

  await t.test("no abort listener is left behind, however many connections came and went", async (t) => {
    const h = harness();
    const server = await started(t, h.events);
    server.onOpen = (ws, n) => ws.close(n < 5 ? 1012 : 1000);
    const mine = new AbortController();
    const theirs = new AbortController();
    const result = await drive(
      reconnectWith(server.url, { signal: theirs.signal }, { min_delay: 1, signal: mine.signal }, h.env),
      h.events,
      async () => {
        t.ok(getEventListeners(mine.signal, "abort").length <= 1, "one link listener at most");
      },
    );
    t.equal(result.error, undefined);
    t.equal(result.closes.length, 5);
    t.equal(getEventListeners(mine.signal, "abort").length, 0);
    t.equal(getEventListeners(theirs.signal, "abort").length, 0);
  });
});

t.test("leaving the loop closes the current client with 1000", async (t) => {
  await t.test("break", async (t) => {
    const events: string[] = [];
    const server = await started(t, events);
    let held: websocket.Client | undefined;
    for await (const client of websocket.reconnect(server.url, {}, { min_delay: 10 })) {
      held = client;
      break;
    }
    const info = await Promise.race([held!.closed, "still open"]);
    t.same(info, { code: 1000, reason: "", clean: true }, "closed by the time the loop is left");
    await new Promise((resolve) => setTimeout(resolve, 20));
    t.same(server.closeCodes, [1000]);
    t.same(events, ["open 1"], "no second dial");
  });

  await t.test("an exception in the loop body", async (t) => {
    const events: string[] = [];
    const server = await started(t, events);
    let held: websocket.Client | undefined;
    await t.rejects(async () => {
      for await (const client of websocket.reconnect(server.url, {}, { min_delay: 10 })) {
        held = client;
        throw new Error("boom");
      }
    }, /boom/);
    t.same(await Promise.race([held!.closed, "still open"]), { code: 1000, reason: "", clean: true });
  });
});

t.test("the public reconnect survives a server restart with its real timer and jitter", async (t) => {
  const events: string[] = [];
  const server = await started(t, events);
  server.onOpen = (ws, n) => {
    ws.send(JSON.stringify({ symbol: "BTC-USD", value: n }));
    if (n === 2) setTimeout(() => ws.close(1000), 10);
  };
  const prices: number[] = [];
  for await (const client of websocket.reconnect(server.url, {}, { min_delay: 10, max_delay: 40 })) {
    for await (const message of client.channel()) {
      prices.push((JSON.parse(String(message.data)) as { value: number }).value);
      if (prices.length === 1) {
        await server.stop();
        setTimeout(() => void server.start(), 50);
      }
    }
  }
  t.same(prices, [1, 2]);
  t.same(events, ["open 1", "open 2"]);
});

t.test(
  "Retry-After on a 503 or 429 sets the wait, bounded by max_delay; other statuses ignore it",
  async (t) => {
    const h = harness();
    const server = await started(t, h.events);
    server.verdicts = [503, 429, 503];
    server.refusalHeaders = { "Retry-After": "1" };
    server.onOpen = (ws) => ws.close(1000);
    const result = await drive(
      reconnectWith(server.url, {}, { min_delay: 5, max_delay: 700, jitter: false, max_attempts: 5 }, h.env),
      h.events,
    );
    t.equal(result.error, undefined);
    t.same(
      h.events.filter((e) => e.startsWith("wait")),
      ["wait 700", "wait 700", "wait 700"],
      "Retry-After: 1 (1000 ms) is capped at max_delay 700 ms",
    );
  },
);

t.test("a Retry-After below the backoff does not shorten it; an HTTP date counts from now", async (t) => {
  const h = harness();
  const server = await started(t, h.events);
  server.verdicts = [503, 503];
  server.refusalHeaders = { "Retry-After": "0" };
  server.onOpen = (ws) => ws.close(1000);
  await drive(
    reconnectWith(server.url, {}, { min_delay: 30, max_delay: 1000, jitter: false, max_attempts: 5 }, h.env),
    h.events,
  );
  t.same(
    h.events.filter((e) => e.startsWith("wait")),
    ["wait 30", "wait 60"],
  );
  const now = Date.parse("2026-01-01T00:00:00Z");
  const refused = (value: string, status = 503): websocket.WebSocketError =>
    Object.assign(Object.create(websocket.WebSocketError.prototype), {
      id: "HANDSHAKE_STATUS",
      status,
      response: { status, statusText: "", headers: { "retry-after": [value] }, body: new Uint8Array() },
    });
  t.equal(retryAfterOf(refused("Thu, 01 Jan 2026 00:00:05 GMT"), now, 60_000), 5000);
  t.equal(retryAfterOf(refused("Wed, 31 Dec 2025 23:59:00 GMT"), now, 60_000), 0, "a past date is no wait");
  t.equal(retryAfterOf(refused("soon"), now, 60_000), 0, "garbage is ignored");
  t.equal(retryAfterOf(refused("120"), now, 60_000), 60_000, "bounded by max_delay");
  t.equal(retryAfterOf(refused("120", 500), now, 60_000), 0, "only 429 and 503 are honoured");
});
