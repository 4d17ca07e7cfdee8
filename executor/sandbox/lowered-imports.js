// The world's two string imports, `engine.call` and `logging.log`, lowered by the sandbox itself.
//
// Components are transpiled with jco's "hybrid" import bindings (gateway/compile/transpile.ts): where
// an import function carries `Symbol.for("cabiLower")`, the glue hands that function the component's
// memory and `cabi_realloc` and wires the core function it returns straight into the component, in
// place of its own trampoline. jco 1.35's trampoline creates, enters, resolves and exits a task on
// every call and decodes and re-encodes both strings; lowered here, a call reads the request from
// the guest's memory and copies the answer's bytes from the channel into it, nothing else. Measured
// with an in-memory engine (2,000 steps, two calls each, sandbox thread CPU, five alternating runs of
// the same component): ~235 µs per step with jco's trampolines, ~185 µs with these.
//
// The canonical ABI for these signatures: a string argument is a pointer and a byte length into the
// guest's memory, UTF-8; a string result is allocated with `cabi_realloc(0, 0, 1, length)` and its
// pointer and length are stored at `retptr`; an enum is its case's index. What the guest passes is
// not trusted: a range outside its memory, or an unknown level, throws, and a throwing import traps
// the guest, as jco's own trampolines do. A glue transpiled without hybrid bindings (an artifact
// built before them) ignores the symbol and calls the plain function.

const CABI_LOWER = Symbol.for("cabiLower");
/** `kiln:workflow/logging` `level`, in the order of its cases in wit/workflow.wit. */
const LOG_LEVELS = /** @type {const} */ (["debug", "info", "warn", "error"]);

const decoder = new TextDecoder();

/**
 * @typedef {{ memory: WebAssembly.Memory, realloc?: (oldPtr: number, oldSize: number, align: number, newSize: number) => number }} CanonicalOptions
 */

/**
 * @param {WebAssembly.Memory} memory
 * @param {number} ptr
 * @param {number} length
 */
function readString(memory, ptr, length) {
  return decoder.decode(new Uint8Array(memory.buffer, ptr >>> 0, length >>> 0));
}

/**
 * `kiln:workflow/engine` `call: func(request: string) -> string`.
 * @param {(request: string) => Uint8Array} answer the answer's UTF-8 bytes (may view shared memory)
 */
export function engineCallImport(answer) {
  /** @param {string} request */
  const call = (request) => decoder.decode(answer(request).slice());
  return Object.assign(call, {
    /** @param {CanonicalOptions} options */
    [CABI_LOWER]: ({ memory, realloc }) => {
      if (realloc === undefined) throw new TypeError("the glue passed no cabi_realloc for engine.call's string result");
      /** @param {number} ptr @param {number} length @param {number} retptr */
      return (ptr, length, retptr) => {
        const bytes = answer(readString(memory, ptr, length));
        const size = bytes.byteLength;
        const at = size === 0 ? 1 : realloc(0, 0, 1, size) >>> 0;
        // After the realloc: it may have grown the memory, which replaces `memory.buffer`.
        new Uint8Array(memory.buffer, at, size).set(bytes);
        const results = new DataView(memory.buffer);
        results.setUint32(retptr >>> 0, at, true);
        results.setUint32((retptr >>> 0) + 4, size, true);
      };
    },
  });
}

/**
 * `kiln:workflow/logging` `log: func(level: level, message: string)`.
 * @param {(level: string, message: string) => void} log
 */
export function logImport(log) {
  /** @param {string} level @param {string} message */
  const plain = (level, message) => log(level, message);
  return Object.assign(plain, {
    /** @param {CanonicalOptions} options */
    [CABI_LOWER]: ({ memory }) => {
      /** @param {number} level @param {number} ptr @param {number} length */
      return (level, ptr, length) => {
        const name = LOG_LEVELS[level];
        if (name === undefined) throw new TypeError(`log level ${level} is not a case of kiln:workflow/logging level`);
        log(name, readString(memory, ptr, length));
      };
    },
  });
}
