/**
 * infra/nats-write-batching.ts, against a real nats-server: what many tasks in a row send waits for
 * one write after them, what is sent while other requests await their answers waits for the next
 * answer (at most `MAX_HOLD_MS`), and everything still arrives, in order, with requests and flushes
 * working.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { NatsConnection } from "@nats-io/nats-core";
import { connectService } from "../../infra/nats-connection.ts";
import { MAX_HOLD_MS, writeBatchingPatched } from "../../infra/nats-write-batching.ts";
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
    // (Immediates queued together run in one turn, before any queued while they run; three
    // `setTimeout(…, 0)` may fire in different turns, with the write between them.)
    const tasks = 3;
    for (let i = 0; i < tasks; i++) {
      setImmediate(() => {
        sender.publish("batched", `m${i}`);
        sizes.push(queuedBytes(sender));
        if (i === tasks - 1) resolve();
      });
    }
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

it("holds a command sent while other requests await their answers until an answer comes, at most MAX_HOLD_MS", async () => {
  const answers = new Map<string, () => void>();
  receiver.subscribe("slow", { callback: (_, message) => void answers.set(message.string(), () => message.respond(message.data)) });
  await receiver.flush();
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  const a = sender.request("slow", "a", { timeout: 5_000 });
  const b = sender.request("slow", "b", { timeout: 5_000 });
  // Both left together: a request with no other awaiting its answer is written at once.
  await expect.poll(() => answers.size).toBe(2);
  // Sent while both await their answers, and none comes: held past the event loop's turn, then
  // written when the hold runs out.
  sender.publish("held", "c");
  await turn();
  expect(queuedBytes(sender)).toBeGreaterThan(0);
  await new Promise((resolve) => setTimeout(resolve, MAX_HOLD_MS + 5));
  expect(queuedBytes(sender)).toBe(0);
  // Held again, and written as soon as an answer is read.
  const e = sender.request("slow", "e", { timeout: 5_000 });
  await turn();
  expect(queuedBytes(sender)).toBeGreaterThan(0);
  answers.get("a")!();
  expect((await a).string()).toBe("a");
  await turn();
  expect(queuedBytes(sender)).toBe(0);
  await expect.poll(() => answers.size).toBe(3);
  answers.get("b")!();
  answers.get("e")!();
  expect([(await b).string(), (await e).string()]).toEqual(["b", "e"]);
});
