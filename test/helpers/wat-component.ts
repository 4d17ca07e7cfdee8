/**
 * Components of the `kiln:workflow` world written by hand in WebAssembly text, with no SDK and no
 * componentize-js: the core module is assembled from WAT, the world is embedded and the module is
 * wrapped into a component with the wasm-tools that jco bundles (compiled to wasm, in node_modules).
 * What any toolchain that targets the world produces, so a test can show "any language" working.
 */
import { readFile } from "node:fs/promises";
import { componentEmbed, componentNew, parse } from "@bytecodealliance/jco";

const WORLD_WIT = new URL("../../wit/workflow.wit", import.meta.url);

/** A range of the guest's memory passed as a string as is: it may lie outside that memory. */
export interface RawRange {
  pointer: number;
  length: number;
}

/** As a script's `result`: `activate` returns the last `engine.call` answer as it came back. */
export const LAST_ANSWER = Symbol("the last engine.call answer");

/** What a scripted guest does in one activation, in order; every text is sent exactly as given. */
export interface GuestScript {
  /** A line for `kiln:workflow/logging` `log`, first. */
  log?: string;
  /** The level's case index sent with `log`. @default 1 (info); past 3 is no case of the enum */
  logLevel?: number;
  /** `engine.call` requests, sent one after the other. */
  calls: Array<string | RawRange>;
  /** What `activate` returns. */
  result: string | typeof LAST_ANSWER;
}

/**
 * Builds a component from a core module in WAT that targets `world` of `wit` (by default world
 * `workflow` of wit/workflow.wit). The module's imports decide which of the world's imports the
 * component keeps.
 */
export async function componentFromWat(coreWat: string, options: { wit?: string; world?: string } = {}): Promise<Uint8Array> {
  const witSource = options.wit ?? (await readFile(WORLD_WIT, "utf8"));
  const core = await parse(coreWat);
  const embedded = await componentEmbed({ binary: core, witSource, world: options.world ?? "workflow" });
  return componentNew(embedded);
}

const encoder = new TextEncoder();

/** A WAT string literal holding `bytes`: printable ASCII as is, everything else as `\hh`. */
function watString(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) {
    const printable = byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c;
    text += printable ? String.fromCharCode(byte) : `\\${byte.toString(16).padStart(2, "0")}`;
  }
  return `"${text}"`;
}

/** Where the module keeps things: the return areas first, then the constant texts, then the heap. */
const ACTIVATE_RETURN_AREA = 0;
const CALL_RETURN_AREA = 8;
const DATA_START = 1024;
const PAGE_BYTES = 65_536;

/**
 * The core module of a guest that follows `script` on every activation, speaking the canonical ABI
 * by hand: strings are (pointer, length) in its memory, an `engine.call` answer comes back through a
 * return area the host fills after calling `cabi_realloc`, and `activate` returns a pointer to
 * (pointer, length) of its answer.
 */
export function scriptedGuestWat(script: GuestScript): string {
  const calls = script.calls.filter((call): call is string => typeof call === "string");
  const result = script.result === LAST_ANSWER ? "" : script.result;
  const texts = [...(script.log === undefined ? [] : [script.log]), ...calls, result].map((text) => encoder.encode(text));
  const placed: { offset: number; length: number }[] = [];
  const segments: string[] = [];
  let offset = DATA_START;
  for (const bytes of texts) {
    placed.push({ offset, length: bytes.byteLength });
    segments.push(`  (data (i32.const ${offset}) ${watString(bytes)})`);
    offset += bytes.byteLength;
  }
  const heapStart = Math.ceil(offset / PAGE_BYTES) * PAGE_BYTES;
  const log = script.log === undefined ? undefined : placed.shift()!;
  const resultAt = placed.pop()!;
  const callRanges = script.calls.map((call) => (typeof call === "string" ? placed.shift()! : { offset: call.pointer, length: call.length }));
  const body = [
    ...(log ? [`    (call $log (i32.const ${script.logLevel ?? 1}) (i32.const ${log.offset}) (i32.const ${log.length}))`] : []),
    ...callRanges.map((call) => `    (call $engine_call (i32.const ${call.offset}) (i32.const ${call.length}) (i32.const ${CALL_RETURN_AREA}))`),
    ...(script.result === LAST_ANSWER
      ? [`    (i32.const ${CALL_RETURN_AREA})`]
      : [
          `    (i32.store (i32.const ${ACTIVATE_RETURN_AREA}) (i32.const ${resultAt.offset}))`,
          `    (i32.store (i32.const ${ACTIVATE_RETURN_AREA + 4}) (i32.const ${resultAt.length}))`,
          `    (i32.const ${ACTIVATE_RETURN_AREA})`,
        ]),
  ];
  return `(module
  (import "kiln:workflow/engine@0.2.0" "call" (func $engine_call (param i32 i32 i32)))
  ${log ? `(import "kiln:workflow/logging@0.2.0" "log" (func $log (param i32 i32 i32)))` : ""}
  (memory (export "memory") ${heapStart / PAGE_BYTES + 1})
  (global $heap (mut i32) (i32.const ${heapStart}))
${segments.join("\n")}
  ;; A bump allocator: an activation's strings are few and small, and the instance is short-lived.
  (func (export "cabi_realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $at i32)
    (local.set $at (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                            (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $at) (local.get $size)))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const ${PAGE_BYTES})))
      (then (if (i32.eq (memory.grow (i32.add (i32.div_u (i32.sub (global.get $heap) (i32.mul (memory.size) (i32.const ${PAGE_BYTES})))
                                                          (i32.const ${PAGE_BYTES}))
                                              (i32.const 1)))
                        (i32.const -1))
              (then unreachable))))
    (local.get $at))
  (func (export "activate") (param $request i32) (param $request_length i32) (result i32)
${body.join("\n")})
)`;
}
