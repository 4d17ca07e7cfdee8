/**
 * The guest side of the call channel must only ever read the answer to its own call, even when a
 * notify arrives late (the host can be preempted between storing an answer and notifying, so the
 * notify lands on the guest's next wait), and must stop waiting when its host stops it.
 */
import { Worker } from "node:worker_threads";
import { expect, it } from "vitest";
import { ChannelSlot, createChannelBuffers, stopGuest, writeResponse } from "../../executor/sandbox/channel.ts";

it("ignores late wake-ups and reads each call's own answer", async () => {
  const buffers = createChannelBuffers();
  const control = new Int32Array(buffers.control);
  const calls = 500;
  const worker = new Worker(new URL("../fixtures/guest-call-worker.js", import.meta.url), { workerData: { buffers, calls } });
  const report = await new Promise<{ mismatches: string[] }>((resolve, reject) => {
    worker.on("error", reject);
    worker.on("message", (message: string | { mismatches: string[] }) => {
      if (typeof message !== "string") return resolve(message);
      // The late notify of the previous answer (from a host preempted between storing and
      // notifying) lands while the guest waits for this one; the real answer follows.
      Atomics.notify(control, ChannelSlot.state);
      setImmediate(() => writeResponse(buffers, `answer ${message}`));
    });
  });
  await worker.terminate();
  expect(report.mismatches).toEqual([]);
});

it("wakes a guest blocked on a call that will never be answered when its host stops it", async () => {
  const buffers = createChannelBuffers();
  const worker = new Worker(new URL("../fixtures/guest-call-worker.js", import.meta.url), { workerData: { buffers, calls: 1 } });
  const failure = await new Promise<Error>((resolve) => {
    worker.on("error", resolve);
    // The call is posted just before the guest blocks; stopping it then, or once it waits, both end the wait.
    worker.on("message", () => stopGuest(buffers));
  });
  await worker.terminate();
  expect(failure.message).toBe("the sandbox was stopped by its host");
});
