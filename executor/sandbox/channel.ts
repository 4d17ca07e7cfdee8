/**
 * The synchronous call channel between a sandbox worker and the executor's main thread. A guest
 * capability call (`engine.call`, `http.fetch`) posts its request as a message and blocks on
 * `Atomics.wait`; the host answers by writing the response into shared memory and notifying. Plain
 * web-standard primitives, so the same channel works on Node and Deno.
 *
 * An answer is UTF-8 JSON, optionally followed by raw bytes (an HTTP response body): `length` slot =
 * JSON bytes, `bodyLength` slot = body bytes or -1 for none. Bodies stay binary, never base64 in the
 * JSON. Measured on Node 20 with an 8 MiB body, host write to guest read: 15 ms raw (9 ms of it the
 * host's copy), against 100 ms to encode and ~1.7 s to decode base64 with web APIs in the worker —
 * and a third more memory.
 */
import type { HttpAnswer } from "../egress/http-wire.ts";

/** Int32 slots of the control array. `stopped` is set once, by the host, when it kills the sandbox. */
export const ChannelSlot = { state: 0, length: 1, bodyLength: 2, stopped: 3 } as const;
export const ChannelState = { waiting: 0, ready: 1, stopped: 2 } as const;

/** The data buffer's starting size: engine answers (step results are capped at 1 MiB of JSON) fit. */
export const CHANNEL_INITIAL_BYTES = 4 * 1024 * 1024;
/**
 * The largest answer: an HTTP response body at the highest `limits.fetchResponseBytes` (64 MiB) plus its
 * headers. The buffer grows to it only when an answer needs it; until then it is address space only.
 */
export const CHANNEL_MAX_BYTES = 72 * 1024 * 1024;

export interface ChannelBuffers {
  control: SharedArrayBuffer;
  /**
   * One BigInt64: the step permit, until when (epoch ms) the guest may start a step's first attempt
   * without asking; 0 when it must ask. See step-permit.js.
   */
  permit: SharedArrayBuffer;
  /** Growable (ES2024): the host grows it for a large answer; the guest's views track its length. */
  data: SharedArrayBuffer;
}

/** ES2024's growable SharedArrayBuffer, on Node ≥ 20 and Deno 2; the project's `lib` is ES2023. */
type GrowableSharedArrayBuffer = SharedArrayBuffer & { grow(byteLength: number): void };
const GrowableSharedArrayBuffer = SharedArrayBuffer as unknown as new (byteLength: number, options: { maxByteLength: number }) => GrowableSharedArrayBuffer;

export function createChannelBuffers(): ChannelBuffers {
  return {
    control: new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT),
    permit: new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT),
    data: new GrowableSharedArrayBuffer(CHANNEL_INITIAL_BYTES, { maxByteLength: CHANNEL_MAX_BYTES }),
  };
}

const encoder = new TextEncoder();

/** Host side: hands one answer (JSON text, and raw bytes after it if any) to the blocked guest. */
export function writeResponse(buffers: ChannelBuffers, response: string, body?: Uint8Array): void {
  const control = new Int32Array(buffers.control);
  const bytes = encoder.encode(response);
  const total = bytes.byteLength + (body?.byteLength ?? 0);
  if (total > CHANNEL_MAX_BYTES) {
    throw new RangeError(`an answer of ${total} bytes exceeds the channel's capacity of ${CHANNEL_MAX_BYTES} bytes`);
  }
  if (total > buffers.data.byteLength) (buffers.data as GrowableSharedArrayBuffer).grow(total);
  const data = new Uint8Array(buffers.data);
  data.set(bytes);
  if (body) data.set(body, bytes.byteLength);
  Atomics.store(control, ChannelSlot.length, bytes.byteLength);
  Atomics.store(control, ChannelSlot.bodyLength, body ? body.byteLength : -1);
  Atomics.store(control, ChannelSlot.state, ChannelState.ready);
  Atomics.notify(control, ChannelSlot.state);
}

/**
 * Host side: wakes a guest blocked on a call so that it stops, before its worker is terminated. Deno
 * 2.9 does not end a worker thread blocked in `Atomics.wait` on `terminate()`: measured, 10 workers
 * killed while waiting left 12 threads and 790 MiB behind; woken first, 1 thread and 25 MiB (Node
 * ends them either way). Set in this order, the guest sees `stopped` whether it is waiting, about to
 * wait or about to make a call (guest-call.js).
 */
export function stopGuest(buffers: ChannelBuffers): void {
  setStepPermit(buffers, 0);
  const control = new Int32Array(buffers.control);
  Atomics.store(control, ChannelSlot.stopped, 1);
  Atomics.store(control, ChannelSlot.state, ChannelState.stopped);
  Atomics.notify(control, ChannelSlot.state);
}

/** Host side: grants the step permit until `until` (epoch ms), or withdraws it with 0. */
export function setStepPermit(buffers: ChannelBuffers, until: number): void {
  Atomics.store(new BigInt64Array(buffers.permit), 0, BigInt(Math.max(0, Math.floor(until))));
}

/**
 * What the sandbox needs, besides the permit, to judge a step start on its own: steps with earlier
 * attempts (their retry delay is the host's to judge) and the tenant's step timeout limit.
 */
export interface StepPermitTerms {
  keysWithAttempts: string[];
  stepTimeoutMaxMs: number;
}

/** What a blocked guest reads back: the JSON and the raw bytes after it, if any. */
export interface GuestAnswer {
  /** The answer's UTF-8 JSON: a view of the shared buffer, valid until the guest's next call. */
  json: Uint8Array;
  /** A copy: the guest keeps it. */
  body: Uint8Array | undefined;
}

/** Messages from a sandbox worker to the host. `call` and `http` block the guest until answered. */
export type WorkerMessage =
  /**
   * Sent first, before the component loads: the worker's thread id from `/proc/thread-self`, where
   * there is one, so its CPU can be read (thread-clock.ts) and a demotion applies to the load too.
   */
  | { type: "thread"; tid?: number }
  /** Loaded; `gluePreloaded`: with the glue it imported as a spare (see spare-workers.ts). */
  | { type: "ready"; gluePreloaded: boolean }
  | { type: "call"; request: string }
  /** A step's first attempt started under the step permit: said, not asked; the guest does not wait. */
  | { type: "step-started"; request: string }
  /** What the guest claims is a `kiln:workflow/http` request: validated by the host, never trusted. */
  | { type: "http"; request: unknown }
  | { type: "log"; level: string; message: string }
  | { type: "result"; result: string }
  | { type: "fatal"; error: { name: string; message: string; stack?: string } };

/** The worker messages that block the guest until the host writes an answer. */
export type BlockingMessage = Extract<WorkerMessage, { type: "call" | "http" }>;

/** Messages from the host to a sandbox worker. */
export type HostMessage =
  /**
   * To a spare worker, before it has a version: import this glue now, since the next sandbox's is
   * likely the same (spare-workers.ts). Glue is jco's code for the component's shape, not tenant code.
   */
  | { type: "preload"; glue: string }
  | { type: "load"; glue: string; modules: Record<string, WebAssembly.Module>; buffers: ChannelBuffers }
  | { type: "activate"; request: string; stepPermits: StepPermitTerms };

export type { HttpAnswer };
