import { expect, it } from "vitest";
import { FairDispatcher } from "../../executor/fair-dispatcher.ts";

it("grants free slots at once and queues the rest in the order they asked", async () => {
  const dispatcher = new FairDispatcher(2);
  const first = await dispatcher.acquire();
  await dispatcher.acquire();
  expect(dispatcher.inFlight).toBe(2);
  const order: string[] = [];
  const noisy = dispatcher.acquire().then((release) => (order.push("noisy"), release));
  const quiet = dispatcher.acquire().then((release) => (order.push("quiet"), release));
  first();
  const noisyRelease = await noisy;
  expect(order).toEqual(["noisy"]);
  noisyRelease();
  await quiet;
  expect(order).toEqual(["noisy", "quiet"]);
  expect(dispatcher.inFlight).toBe(2);
});

it("ignores a second release of the same slot", async () => {
  const dispatcher = new FairDispatcher(1);
  const release = await dispatcher.acquire();
  release();
  release();
  expect(dispatcher.inFlight).toBe(0);
  await dispatcher.acquire();
  expect(dispatcher.inFlight).toBe(1);
});
