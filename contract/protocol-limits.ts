/**
 * The bounds of the activation protocol (contract/protocol.ts), in a file of their own without zod:
 * the guest SDK checks its own requests against them, and importing the schemas would put zod into
 * every tenant component (~800 KB of JavaScript, measured with bundleWorkflow on test/fixtures/hello.ts).
 */

/** A step's result: at most this many bytes of JSON (UTF-8). */
export const MAX_STEP_RESULT_BYTES = 1024 * 1024;
/** A step's name: at most this many characters. */
export const MAX_STEP_NAME_LENGTH = 256;
/** A run's steps: `seq` stays below this. */
export const MAX_STEPS = 100_000;
/**
 * An `engine.call` request, whole, in characters: a step result travels as a JSON string inside it,
 * where each `"` and `\` of the result doubles, so a result at its limit may take twice its size.
 */
export const MAX_ENGINE_REQUEST_CHARS = 2 * MAX_STEP_RESULT_BYTES + 256 * 1024;
/**
 * An `activate` result, whole, in characters: the run's output (a JSON value, not escaped) and its
 * envelope. The output is kept in the instance record, which must fit a NATS message anyway.
 */
export const MAX_ACTIVATION_RESULT_CHARS = MAX_STEP_RESULT_BYTES + 256 * 1024;
/** `random` asks for at most this many bytes. */
export const MAX_RANDOM_BYTES = 1024;
/** An event type a `wait` names: at most this many characters. */
export const MAX_EVENT_TYPE_LENGTH = 256;
