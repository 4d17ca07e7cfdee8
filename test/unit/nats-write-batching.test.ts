/**
 * infra/nats-write-batching.ts, against a real nats-server: what many tasks in a row send waits for
 * one write after them, and everything still arrives, in order, with requests and flushes working.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { NatsConnection } from "@nats-io/nats-core";
import { connectService } from "../../infra/nats-connection.ts";
import { writeBatchingPatched } from "../../infra/nats-write-batching.ts";
import { startTestNats, type TestNats } from "../helpers/nats.ts";

/** nats.js's outbound buffer: what is queued and not yet written to the socket. */
const queuedBytes = (nc: NatsConnection) => (nc as unknown as { protocol: { outbound: { size(): number } } }).protocol.outbound.size();

let nats: TestNats;
let sender: NatsConnection;
let receiver: NatsConnection;

beforeAll(async () => {
  nats = await startTestNats();
  sender = await connectService(nats.url, "batching-sender");
  receiver = await nats.connect();
});

afterAll(async () => {
  await sender.close();
  await nats.stop();
});

it("is in place", () => {
  expect(writeBatchingPatched).toBe(true);
});

it("writes what several tasks queued once, after them", async () => {
  const sizes: number[] = [];
  await new Promise<void>((resolve) => {
    // Three tasks in a row, as three sandbox messages would be: nothing is written between them.
    const timers = [0, 0, 0].map((_, i) =>
      setTimeout(() => {
        sender.publish("batched", `m${i}`);
        sizes.push(queuedBytes(sender));
        if (i === timers.length - 1) resolve();
      }, 0),
    );
  });
  expect(sizes[0]).toBeGreaterThan(0);
  expect(sizes[1]).toBeGreaterThan(sizes[0]!);
  expect(sizes[2]).toBeGreaterThan(sizes[1]!);
  await new Promise((resolve) => setImmediate(resolve));
  expect(queuedBytes(sender)).toBe(0);
});

it("delivers everything in order, and requests and flushes still work", async () => {
  const received: string[] = [];
  receiver.subscribe("ordered", { callback: (_, message) => void received.push(message.string()) });
  receiver.subscribe("echo", { callback: (_, message) => void message.respond(message.data) });
  await receiver.flush();
  for (let i = 0; i < 100; i++) {
    if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
    sender.publish("ordered", String(i));
  }
  expect((await sender.request("echo", "ping")).string()).toBe("ping");
  await sender.flush();
  await receiver.flush();
  expect(received).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
});
