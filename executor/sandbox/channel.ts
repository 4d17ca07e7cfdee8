/**
 * The synchronous call channel between a sandbox worker and the executor's main thread. The guest's
 * `engine.call` posts its request as a message and blocks on `Atomics.wait`; the host answers by
 * writing the response into shared memory and notifying. Plain web-standard primitives, so the same
 * channel works on Node and Deno.
 */

/** Int32 slots of the control array. */
export const ChannelSlot = { state: 0, length: 1 } as const;
export const ChannelState = { waiting: 0, ready: 1 } as const;

/** Largest engine response; step results and event payloads are capped at 1 MiB of JSON. */
export const CHANNEL_CAPACITY_BYTES = 4 * 1024 * 1024;

export interface ChannelBuffers {
  control: SharedArrayBuffer;
  data: SharedArrayBuffer;
}

export function createChannelBuffers(): ChannelBuffers {
  return { control: new SharedArrayBuffer(8), data: new SharedArrayBuffer(CHANNEL_CAPACITY_BYTES) };
}

const encoder = new TextEncoder();

/** Host side: hands one response to the blocked guest. */
export function writeResponse(buffers: ChannelBuffers, response: string): void {
  const control = new Int32Array(buffers.control);
  const bytes = encoder.encode(response);
  if (bytes.length > CHANNEL_CAPACITY_BYTES) {
    throw new RangeError(`engine response of ${bytes.length} bytes exceeds the channel capacity of ${CHANNEL_CAPACITY_BYTES}`);
  }
  new Uint8Array(buffers.data).set(bytes);
  Atomics.store(control, ChannelSlot.length, bytes.length);
  Atomics.store(control, ChannelSlot.state, ChannelState.ready);
  Atomics.notify(control, ChannelSlot.state);
}

/** Messages from a sandbox worker to the host. */
export type WorkerMessage =
  | { type: "ready" }
  | { type: "call"; request: string }
  | { type: "log"; level: string; message: string }
  | { type: "result"; result: string }
  | { type: "fatal"; error: { name: string; message: string; stack?: string } };

/** Messages from the host to a sandbox worker. */
export type HostMessage =
  { type: "load"; glue: string; modules: Record<string, WebAssembly.Module>; buffers: ChannelBuffers } | { type: "activate"; request: string };
