/**
 * nats.js writes its outbound buffer to the socket in a microtask after the first command queued
 * since its last write, so every task that sends anything pays a write of its own. The executor's
 * sends come from many tasks in a row — one per sandbox message (a step's commit, its log line, a
 * lease renewal) — and every write wakes nats-server. On this project's 2-core VM a wake-up is what
 * nats-server's CPU goes to: `perf` put 61 % of its samples in the kernel (context switches, futex
 * and nanosleep of the Go scheduler), and the executor's busy CPU profile had 27–32 % in
 * `writeBuffer`. This defers the write to `setImmediate`, after the event loop's current batch of
 * I/O callbacks, so the commands of all of them leave in one write; a buffer over nats.js's own
 * limit is still written at once. Measured with a whole Kiln in one process, 300 three-step
 * instances in batches of 30, alternating runs: nats-server's CPU per instance 4.3–6.2 ms as
 * shipped, 3.7–4.2 ms with this, the services' CPU and the wall time unchanged within the noise.
 * Applied once, by importing this module (nats-connection.ts does); where there is no
 * `setImmediate` nats.js is left as it is. test/unit/nats-write-batching.test.ts checks it.
 */
import { ProtocolHandler } from "@nats-io/nats-core/internal";

interface Outbound {
  length(): number;
  size(): number;
  fill(buffer: Uint8Array, ...payloads: Uint8Array[]): void;
}

interface BatchedProtocol {
  outbound: Outbound;
  pendingLimit: number;
  flushPending(): void;
  sendCommand: (this: BatchedProtocol, command: string | Uint8Array, ...payloads: Uint8Array[]) => void;
}

const encoder = new TextEncoder();
const prototype = ProtocolHandler.prototype as unknown as BatchedProtocol;

/** Whether batching is in place: false where there is no `setImmediate`, or nats.js changed. */
export const writeBatchingPatched = typeof globalThis.setImmediate === "function" && typeof prototype.sendCommand === "function";

if (writeBatchingPatched) {
  prototype.sendCommand = function (command, ...payloads) {
    const queued = this.outbound.length();
    this.outbound.fill(typeof command === "string" ? encoder.encode(command) : command, ...payloads);
    if (queued === 0) setImmediate(() => this.flushPending());
    else if (this.outbound.size() >= this.pendingLimit) this.flushPending();
  };
}
