import t from "tap";
import * as websocket from "../../src/index.js";
import { echo, startWsPeer } from "../helpers/ws-server.js";

t.setTimeout(20_000);

t.test(
  "user code cannot reach the sending side of a client's channel, nor make a Channel or Client",
  async (t) => {
    const peer = await startWsPeer({}, echo);
    t.teardown(() => peer.close());
    const client = await websocket.connect(peer.url);
    t.teardown(() => client.close());
    const ch: object = client.channel();
    const channelClass: object = websocket.Channel;

    t.notOk("send" in ch, "the client's channel has no send");
    t.notOk("close" in ch, "the client's channel has no close");
    t.same(Object.getOwnPropertyNames(ch), [], "no own properties to reach into");
    t.notOk("core" in channelClass, "Channel has no static core");
    t.notOk(
      Object.getOwnPropertyNames(channelClass).some((name) => /core|make/i.test(name)),
      "nor any other way in",
    );
    t.throws(() => Reflect.construct(websocket.Client, []), TypeError, "new Client() throws");
    t.throws(() => Reflect.construct(websocket.Channel, []), TypeError, "new Channel() throws");
    t.throws(() => Reflect.construct(websocket.Channel, [{}]), TypeError, "new Channel(fake core) throws");

    // The channel still works as it should.
    await client.send("still here");
    t.same(await client.channel().receive(), [{ type: "text", data: "still here" }, true]);
  },
);

t.test("await using closes the client when the scope ends, on return and on throw", async (t) => {
  const peer = await startWsPeer({}, echo);
  t.teardown(() => peer.close());
  let kept: websocket.Client | undefined;
  const roundTrip = async (): Promise<string> => {
    await using client = await websocket.connect(peer.url);
    kept = client;
    await client.send("x");
    const [msg, ok] = await client.channel().receive();
    return ok && msg.type === "text" ? msg.data : "";
  };
  t.equal(await roundTrip(), "x");
  t.same(await kept!.closed, { code: 1000, reason: "", clean: true }, "closed cleanly with 1000 on return");

  const failing = async (): Promise<void> => {
    await using client = await websocket.connect(peer.url);
    kept = client;
    throw new Error("boom");
  };
  await t.rejects(failing(), { message: "boom" }, "the scope's own error comes through");
  t.same(
    await kept!.closed,
    { code: 1000, reason: "", clean: true },
    "and the client was closed on the way out",
  );

  const client = await websocket.connect(peer.url);
  await client.close(4000, "mine");
  await client[Symbol.asyncDispose]();
  t.equal((await client.closed).code, 4000, "disposing a closed client changes nothing and does not throw");
});

t.test("breaking out of for await leaves the connection open", async (t) => {
  const peer = await startWsPeer({}, echo);
  t.teardown(() => peer.close());
  const client = await websocket.connect(peer.url);
  t.teardown(() => client.close());
  for (const s of ["a", "b", "c"]) await client.send(s);
  const seen: string[] = [];
  for await (const msg of client.channel()) {
    if (msg.type === "text") seen.push(msg.data);
    if (seen.length === 1) break;
  }
  await client.send("d");
  for await (const msg of client.channel()) {
    if (msg.type === "text") seen.push(msg.data);
    if (seen.length === 4) break;
  }
  t.same(seen, ["a", "b", "c", "d"], "the connection kept working after the first loop was left");
  const state = await Promise.race([client.closed, new Promise((r) => setTimeout(() => r("open"), 50))]);
  t.equal(state, "open");
});
