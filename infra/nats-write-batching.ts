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
import { Parser, ProtocolHandler } from "@nats-io/nats-core/internal";

interface Outbound {
  length(): number;
  size(): number;
  fill(buffer: Uint8Array, ...payloads: Uint8Array[]): void;
}

interface BatchedProtocol {
  outbound: Outbound;
  pendingLimit: number;
  /** Requests awaiting their answer, each registered before its command is queued. */
  muxSubscriptions?: { size(): number };
  flushPending(): void;
  sendCommand: (this: BatchedProtocol, command: string | Uint8Array, ...payloads: Uint8Array[]) => void;
  /** The cap on a write held for the server's next answer (see `sendCommand`). */
  heldWrite?: ReturnType<typeof setTimeout>;
}

/**
 * The longest a write waits for the server's next answer: a bound, reached only when every
 * request in flight is slow and nothing else arrives.
 */
export const MAX_HOLD_MS = 1;

const encoder = new TextEncoder();
const prototype = ProtocolHandler.prototype as unknown as BatchedProtocol;
interface ProtocolParser {
  /** The protocol handler the parser dispatches to. */
  dispatcher: unknown;
  parse: (this: ProtocolParser, buffer: Uint8Array) => void;
}
const parser = Parser.prototype as unknown as ProtocolParser;

/** Whether batching is in place: false where there is no `setImmediate`, or nats.js changed. */
export const writeBatchingPatched =
  typeof globalThis.setImmediate === "function" && typeof prototype.sendCommand === "function" && typeof parser.parse === "function";

function releaseHeldWrite(protocol: BatchedProtocol): void {
  clearTimeout(protocol.heldWrite);
  protocol.heldWrite = undefined;
  setImmediate(() => protocol.flushPending());
}

if (writeBatchingPatched) {
  prototype.sendCommand = function (command, ...payloads) {
    const queued = this.outbound.length();
    this.outbound.fill(typeof command === "string" ? encoder.encode(command) : command, ...payloads);
    if (queued > 0) {
      if (this.outbound.size() >= this.pendingLimit) this.flushPending();
      return;
    }
    // Another request is waiting for its answer (the count includes this command if it is a
    // request): its answer comes soon and is read in one chunk with others, so this write waits
    // for it and leaves with what the answers prompt — a write per batch of answers, not per
    // command. A lone request (one client's steps in a row) is written at once, as before.
    if ((this.muxSubscriptions?.size() ?? 0) > 1) {
      clearTimeout(this.heldWrite);
      this.heldWrite = setTimeout(() => releaseHeldWrite(this), MAX_HOLD_MS);
    } else setImmediate(() => this.flushPending());
  };
  const parse = parser.parse;
  parser.parse = function (buffer) {
    parse.call(this, buffer);
    const protocol = this.dispatcher as BatchedProtocol;
    if (protocol.heldWrite !== undefined) releaseHeldWrite(protocol);
  };
}
