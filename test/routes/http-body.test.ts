import t from "tap";
import { BoundedBody } from "../../src/routes/http-body.js";

const headers = (entries: Record<string, string>): Map<string, string[]> =>
  new Map(Object.entries(entries).map(([k, v]) => [k, [v]]));

t.test("Content-Length frames the body; extra bytes are not kept", async (t) => {
  const body = new BoundedBody(headers({ "content-length": "5" }));
  t.equal(body.push(Buffer.from("he")), false);
  t.equal(body.push(Buffer.from("llo, and more")), true);
  t.equal(body.body().toString(), "hello");
  t.equal(
    new BoundedBody(headers({ "content-length": "0" })).complete,
    true,
    "an empty body is complete at once",
  );
});

t.test("chunked: sizes in hex, extensions, split anywhere, ends at the zero chunk", async (t) => {
  const wire = "a;x=y\r\n0123456789\r\n3\r\nabc\r\n0\r\n\r\n";
  for (let split = 1; split < wire.length; split++) {
    const body = new BoundedBody(headers({ "transfer-encoding": "gzip, chunked" }));
    body.push(Buffer.from(wire.slice(0, split)));
    body.push(Buffer.from(wire.slice(split)));
    t.equal(body.complete, true);
    t.equal(body.body().toString(), "0123456789abc", `split at ${split}`);
  }
});

t.test("a body is bounded: it stops keeping (and waiting) at the limit", async (t) => {
  const body = new BoundedBody(headers({}), 10);
  t.equal(body.push(Buffer.alloc(6, 1)), false, "no framing: waits for the end of the connection");
  t.equal(body.push(Buffer.alloc(6, 2)), true, "complete once the bound is reached");
  t.equal(body.body().length, 10);
  const chunked = new BoundedBody(headers({ "transfer-encoding": "chunked" }));
  t.equal(chunked.push(Buffer.from(`${"f".repeat(2000)}`)), true, "an endless size line is given up on");
});
