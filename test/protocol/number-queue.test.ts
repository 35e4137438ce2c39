import t from "tap";
import { NumberQueue } from "../../src/protocol/number-queue.js";

t.test("a NumberQueue gives numbers back in order through growth and wrap-around", async (t) => {
  const queue = new NumberQueue();
  const model: number[] = [];
  let next = 1;
  let step = 0;
  // Pushes and shifts in uneven runs, so the ring wraps at every size it grows through.
  for (let round = 0; round < 400; round++) {
    const pushes = (round * 7) % 23;
    const shifts = (round * 5) % 19;
    for (let i = 0; i < pushes; i++) {
      queue.push(next);
      model.push(next++);
    }
    for (let i = 0; i < shifts; i++) {
      const got = queue.shift();
      const want = model.shift() ?? 0;
      if (got !== want) t.fail(`step ${step}: shift gave ${got}, expected ${want}`);
      step++;
    }
    if (queue.length !== model.length)
      t.fail(`round ${round}: length ${queue.length}, expected ${model.length}`);
  }
  t.ok(model.length > 100, "the queue grew past several ring sizes");
  while (model.length > 0) t.equal(queue.shift(), model.shift());
  t.equal(queue.shift(), 0, "an empty queue gives 0");
  t.equal(queue.length, 0);
});
