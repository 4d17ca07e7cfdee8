// The step permit: a step's first attempt starts without a round trip to the host.
//
// Asking the host before every step body costs a blocking call (the request posted to the main
// thread, its answer written to shared memory, the guest woken): measured ~0.25 ms of the ~2 ms a
// committed step took on a loaded 2-core machine, plus the main thread's work to serve it. What the
// host checks before a first attempt is all local — no step body runs, nothing asks the activation
// to stop, the lease leaves room for a body — so before each answer it publishes the result as a
// deadline in shared memory (channel.ts `setStepPermit`), and withdraws it at once when a pause or
// terminate arrives. The guest's thread then answers `run` itself while the deadline holds, and tells
// the host (`step-started`, one-way) so the attempt's timeout and bookkeeping start there; the host
// re-checks what it is told and stops a sandbox that started a step it could not have permitted.
// Retries (a key with earlier attempts: their delay is the host's to judge) and anything that is not
// a step start are always asked. Plain JavaScript: it runs in the sandbox worker thread.

/** The answer the host would give to a permitted first attempt. */
export const RUN_FIRST_ATTEMPT = '{"action":"run","attempt":1}';

/** How the SDK serializes a step start (`op` is its first field), so other calls skip the JSON parse. */
const STEP_REQUEST_PREFIX = '{"op":"step",';

/**
 * Whether the guest may start this `engine.call` request itself. Pure.
 * @param {string} request the request as the guest sent it
 * @param {number} permitUntil the published permit (epoch ms), 0 when the host wants to be asked
 * @param {number} now epoch ms
 * @param {{ keysWithAttempts: ReadonlySet<string>, stepTimeoutMaxMs: number }} terms
 * @returns {boolean}
 */
export function startsUnderPermit(request, permitUntil, now, terms) {
  if (!(now < permitUntil) || !request.startsWith(STEP_REQUEST_PREFIX)) return false;
  /** @type {{ key?: unknown, timeoutMs?: unknown } | null} */
  let step;
  try {
    step = /** @type {{ key?: unknown, timeoutMs?: unknown } | null} */ (JSON.parse(request));
  } catch {
    return false;
  }
  const key = step?.key;
  const timeoutMs = step?.timeoutMs;
  return typeof key === "string" && !terms.keysWithAttempts.has(key) && typeof timeoutMs === "number" && timeoutMs <= terms.stepTimeoutMaxMs;
}
