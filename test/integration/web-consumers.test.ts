// Real consumers of a WebSocket class, from npm, driving wschan/web against their own servers on
// 127.0.0.1: graphql-ws's client against graphql-ws's server, and tRPC's wsLink against tRPC's ws
// adapter. Each checks that real results flow both ways, subscriptions included.
import type { AddressInfo } from "node:net";
import { createTRPCClient, createWSClient, wsLink } from "@trpc/client";
import { initTRPC } from "@trpc/server";
import { applyWSSHandler } from "@trpc/server/adapters/ws";
import { GraphQLInt, GraphQLObjectType, GraphQLSchema, GraphQLString } from "graphql";
import { createClient } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import t from "tap";
import { WebSocketServer } from "ws";
import { WebSocket } from "../../src/web/index.js";

t.setTimeout(30_000);

async function startServer(): Promise<{ wss: WebSocketServer; url: string; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  return {
    wss,
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

t.test("graphql-ws: a query and a subscription through wschan/web", async (t) => {
  const server = await startServer();
  t.teardown(() => server.close());
  const seenHeaders: (string | undefined)[] = [];
  server.wss.on("connection", (_socket, request) => seenHeaders.push(request.headers["x-tenant"] as string));
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({
      name: "Query",
      fields: {
        greet: {
          type: GraphQLString,
          args: { name: { type: GraphQLString } },
          resolve: (_root, args: { name: string }) => `hello ${args.name}`,
        },
      },
    }),
    subscription: new GraphQLObjectType({
      name: "Subscription",
      fields: {
        countdown: {
          type: GraphQLInt,
          args: { from: { type: GraphQLInt } },
          subscribe: async function* (_root: unknown, args: { from: number }) {
            for (let i = args.from; i >= 0; i--) yield { countdown: i };
          },
        },
      },
    }),
  });
  const disposable = useServer({ schema }, server.wss);
  t.teardown(() => disposable.dispose());

  // graphql-ws constructs the class itself with (url, "graphql-transport-ws"); configure() carries wschan's options.
  const client = createClient({
    url: server.url,
    webSocketImpl: WebSocket.configure({ headers: { "X-Tenant": "acme" }, keepalive: "10s" }),
    retryAttempts: 0,
    lazy: true,
  });
  t.teardown(() => client.dispose());

  const query = await new Promise<unknown>((resolve, reject) => {
    let result: unknown;
    client.subscribe(
      { query: 'query { greet(name: "wschan") }' },
      { next: (value) => (result = value), error: reject, complete: () => resolve(result) },
    );
  });
  t.same(query, { data: { greet: "hello wschan" } });

  const counts: unknown[] = [];
  for await (const value of client.iterate({ query: "subscription { countdown(from: 3) }" })) {
    counts.push(value);
  }
  t.same(
    counts,
    [3, 2, 1, 0].map((n) => ({ data: { countdown: n } })),
  );
  // lazy: the client closes after the query and opens a new connection for the subscription.
  t.ok(seenHeaders.length > 0, `${seenHeaders.length} connection(s) made`);
  t.ok(
    seenHeaders.every((h) => h === "acme"),
    "every connection carries the configured header",
  );
});

t.test("tRPC: queries, a mutation and a subscription over wsLink with wschan/web", async (t) => {
  const server = await startServer();
  t.teardown(() => server.close());
  const trpc = initTRPC.create();
  const items: string[] = [];
  const router = trpc.router({
    add: trpc.procedure
      .input((value: unknown) => {
        if (typeof value !== "string") throw new Error("a string is required");
        return value;
      })
      .mutation(({ input }) => {
        items.push(input);
        return items.length;
      }),
    list: trpc.procedure.query(() => [...items]),
    ticks: trpc.procedure
      .input((value: unknown) => Number(value))
      .subscription(async function* ({ input }) {
        for (let i = 1; i <= input; i++) yield i * 10;
      }),
  });
  const handler = applyWSSHandler({ wss: server.wss, router });
  t.ok(handler);

  const wsClient = createWSClient({
    url: server.url,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  });
  t.teardown(() => wsClient.close());
  const client = createTRPCClient<typeof router>({ links: [wsLink({ client: wsClient })] });

  t.equal(await client.add.mutate("first"), 1);
  t.equal(await client.add.mutate("second"), 2);
  t.same(await client.list.query(), ["first", "second"]);
  await t.rejects(client.add.mutate(42 as unknown as string), { message: /a string is required/ });

  const ticks = await new Promise<number[]>((resolve, reject) => {
    const got: number[] = [];
    const timer = setTimeout(() => reject(new Error("no subscription data within 5 s")), 5000);
    const subscription = client.ticks.subscribe(3, {
      onData: (value) => {
        got.push(value);
        if (got.length === 3) {
          clearTimeout(timer);
          subscription.unsubscribe();
          resolve(got);
        }
      },
      onError: reject,
    });
  });
  t.same(ticks, [10, 20, 30]);
});
