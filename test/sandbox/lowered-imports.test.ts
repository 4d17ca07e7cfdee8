/**
 * The sandbox lowers `engine.call` and `logging.log` itself under jco's hybrid import bindings
 * (executor/sandbox/lowered-imports.js): strings read from and written into the guest's memory by the
 * canonical ABI, what the guest passes never trusted. A glue transpiled before hybrid bindings (an
 * artifact already stored) must behave the same through jco's own trampolines. Guests are written by
 * hand in WAT, so each test says exactly what crosses the boundary.
 */
import { transpile } from "@bytecodealliance/jco";
import { describe, expect, it } from "vitest";
import { GLUE_FILE, transpileComponent } from "../../gateway/compile/transpile.ts";
import { WORLD_NAME } from "../../gateway/compile/toolchain.ts";
import { startBlankWorker } from "../../executor/sandbox/blank-worker.ts";
import { Sandbox, type SandboxCode } from "../../executor/sandbox/sandbox.ts";
import { componentFromWat, LAST_ANSWER, scriptedGuestWat, type GuestScript } from "../helpers/wat-component.ts";

type Bindings = "hybrid" | "jco";

/** The guest of `script` as a sandbox loads it, transpiled with the project's options or jco's defaults. */
async function sandboxCode(script: GuestScript, bindings: Bindings): Promise<SandboxCode> {
  const component = await componentFromWat(scriptedGuestWat(script));
  const { glue, coreModules } =
    bindings === "hybrid"
      ? await transpileComponent(component)
      : await transpile(component, { name: WORLD_NAME, instantiation: "async", noTypescript: true, quiet: true }).then(({ files }) => ({
          glue: new TextDecoder().decode(files[GLUE_FILE]),
          coreModules: Object.fromEntries(Object.entries(files).filter(([name]) => name.endsWith(".wasm"))),
        }));
  const modules: Record<string, WebAssembly.Module> = {};
  for (const [name, bytes] of Object.entries(coreModules)) modules[name] = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  return { glue, modules };
}

/** One activation of `script`: what the host was asked and told, and the result or the error. */
async function activateOnce(script: GuestScript, bindings: Bindings, answer: (request: string) => string) {
  const sandbox = new Sandbox(startBlankWorker(), await sandboxCode(script, bindings));
  const calls: string[] = [];
  const logs: Array<[string, string]> = [];
  try {
    const outcome = await sandbox
      .activate("{}", {
        call: async (request) => (calls.push(request), answer(request)),
        log: (level, message) => void logs.push([level, message]),
      })
      .then(
        (result) => ({ result }),
        (error: Error) => ({ error: error.message }),
      );
    return { ...outcome, calls, logs, alive: sandbox.alive };
  } finally {
    await sandbox.kill("test over");
  }
}

describe.each(["hybrid", "jco"] as const)("with %s import bindings", (bindings) => {
  it("passes requests, answers and log lines through unchanged, multi-byte UTF-8 and empty answers included", async () => {
    const script: GuestScript = { log: "grüße 🌍", logLevel: 2, calls: ['{"op":"now"}', "zweite Anfrage ✓", "third"], result: LAST_ANSWER };
    const answers = new Map([
      ['{"op":"now"}', ""],
      ["zweite Anfrage ✓", "ünïcödé answer 🚀"],
      ["third", '{"action":"now","now":1}'],
    ]);
    const seen = await activateOnce(script, bindings, (request) => answers.get(request)!);
    expect(seen).toEqual({
      result: '{"action":"now","now":1}',
      calls: ['{"op":"now"}', "zweite Anfrage ✓", "third"],
      logs: [["warn", "grüße 🌍"]],
      alive: true,
    });
  });

  it("traps the guest, and only the guest, when it passes a string outside its memory", async () => {
    const seen = await activateOnce({ calls: [{ pointer: 0x7fff_0000, length: 16 }], result: "done" }, bindings, () => "{}");
    expect(seen).toMatchObject({ calls: [], alive: false });
    expect(seen).toHaveProperty("error", expect.stringMatching(/trapped/));
  });

  it("traps the guest when it logs at a level the world does not have", async () => {
    const seen = await activateOnce({ log: "hello", logLevel: 9, calls: [], result: "done" }, bindings, () => "{}");
    expect(seen).toMatchObject({ logs: [], alive: false });
    expect(seen).toHaveProperty("error", expect.stringMatching(/trapped/));
  });
});
