import { expect, it } from "vitest";
import { FairDispatcher } from "../../executor/fair-dispatcher.ts";

it("grants free slots at once and queues the rest in the order they asked", async () => {
  const dispatcher = new FairDispatcher(2, 0);
  const first = await dispatcher.acquire("a");
  await dispatcher.acquire("b");
  expect(dispatcher.inFlight).toBe(2);
  const order: string[] = [];
  const noisy = dispatcher.acquire("noisy").then((release) => (order.push("noisy"), release));
  const quiet = dispatcher.acquire("quiet").then((release) => (order.push("quiet"), release));
  first();
  const noisyRelease = await noisy;
  expect(order).toEqual(["noisy"]);
  noisyRelease();
  await quiet;
  expect(order).toEqual(["noisy", "quiet"]);
  expect(dispatcher.inFlight).toBe(2);
});

it("ignores a second release of the same slot", async () => {
  const dispatcher = new FairDispatcher(1, 0);
  const release = await dispatcher.acquire("a");
  release();
  release();
  expect(dispatcher.inFlight).toBe(0);
  await dispatcher.acquire("a");
  expect(dispatcher.inFlight).toBe(1);
});

it("keeps the reserved slot for a tenant running nothing, even while the spinner waits first", async () => {
  const dispatcher = new FairDispatcher(4, 1);
  const spinner = await Promise.all([dispatcher.acquire("spinner"), dispatcher.acquire("spinner"), dispatcher.acquire("spinner")]);
  let spinnerGotFourth = false;
  const fourth = dispatcher.acquire("spinner").then((release) => ((spinnerGotFourth = true), release));
  // The quiet tenant asked after the spinner, and still gets the free slot at once.
  const quiet = await dispatcher.acquire("quiet");
  expect(dispatcher.inFlight).toBe(4);
  // One of the spinner's own ends: that slot is now the reserve, and the spinner waits on.
  spinner[0]();
  await Promise.resolve();
  expect(dispatcher.inFlight).toBe(3);
  expect(spinnerGotFourth).toBe(false);
  // Once two are free, one goes to it.
  quiet();
  await fourth;
  expect(dispatcher.inFlight).toBe(3);
});
