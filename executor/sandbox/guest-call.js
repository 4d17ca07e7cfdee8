// The guest side of the synchronous call channel (layout and host side in channel.ts): post the
// request, block until the host has written the answer, read it. Plain JavaScript for worker threads
// on Node and Deno.
const STATE = 0;
const LENGTH = 1;
const BODY_LENGTH = 2;
const STOPPED = 3;
const WAITING = 0;

const decoder = new TextDecoder();

/**
 * A blocking `call(message) → answer` over `buffers`; `post` hands the message to the host.
 * @template M
 * @param {import("./channel.ts").ChannelBuffers} buffers
 * @param {(message: M) => void} post
 * @returns {(message: M) => import("./channel.ts").GuestAnswer}
 */
export function createGuestCall(buffers, post) {
  const control = new Int32Array(buffers.control);
  return (message) => {
    Atomics.store(control, STATE, WAITING);
    post(message);
    // Wait until the answer is really there: a wake-up can be the late notify of the previous
    // answer (the host stores READY, the guest reads it before the host's notify runs, and that
    // notify then lands on this wait), and reading then would hand the guest a stale answer.
    // The host sets STOPPED when it kills the sandbox (channel.ts `stopGuest`): this thread must not
    // stay blocked then, or Deno never ends it.
    for (;;) {
      if (Atomics.load(control, STOPPED) !== 0) throw new Error("the sandbox was stopped by its host");
      if (Atomics.load(control, STATE) !== WAITING) break;
      Atomics.wait(control, STATE, WAITING);
    }
    const length = Atomics.load(control, LENGTH);
    const bodyLength = Atomics.load(control, BODY_LENGTH);
    // A fresh view each time: the host may have grown the buffer.
    return {
      json: new Uint8Array(buffers.data, 0, length),
      body: bodyLength < 0 ? undefined : new Uint8Array(buffers.data).slice(length, length + bodyLength),
    };
  };
}

/**
 * An answer's JSON as text. TextDecoder refuses views on shared memory, so it decodes a copy.
 * @param {import("./channel.ts").GuestAnswer} answer
 */
export function answerText(answer) {
  return decoder.decode(answer.json.slice());
}
