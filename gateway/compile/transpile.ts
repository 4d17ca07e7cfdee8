/** jco transpile: a component becomes ESM glue plus the core modules it instantiates. */
import { transpile } from "@bytecodealliance/jco";
import { WORLD_NAME } from "./toolchain.ts";

/** The runnable form of a component, before it is packed into an artifact. */
export interface TranspiledComponent {
  /** ES module exporting `instantiate(getCoreModule, imports)`. */
  glue: string;
  /** Core module file name (as the glue asks for it) → bytes. */
  coreModules: Record<string, Uint8Array>;
  /** Imported interfaces without versions, e.g. `kiln:workflow/engine`. */
  imports: string[];
  exports: Array<[string, "function" | "instance"]>;
}

/** The glue file jco writes for `name: WORLD_NAME`. */
export const GLUE_FILE = `${WORLD_NAME}.js`;

/**
 * Transpiles with async instantiation (executors compile the core modules once and instantiate many
 * times) and hybrid import bindings: an import the sandbox lowers itself (a function carrying
 * `Symbol.for("cabiLower")`, executor/sandbox/lowered-imports.js) is wired into the component as is,
 * any other goes through jco's own trampoline.
 */
export async function transpileComponent(component: Uint8Array): Promise<TranspiledComponent> {
  const { files, imports, exports } = await transpile(component, {
    name: WORLD_NAME,
    instantiation: "async",
    importBindings: "hybrid",
    noTypescript: true,
    quiet: true,
  });
  const coreModules: Record<string, Uint8Array> = {};
  let glue: string | undefined;
  for (const [name, bytes] of Object.entries(files)) {
    if (name === GLUE_FILE) glue = new TextDecoder().decode(bytes);
    else if (name.endsWith(".wasm")) coreModules[name] = bytes;
  }
  if (glue === undefined) throw new Error(`jco transpile produced no ${GLUE_FILE}; files: ${Object.keys(files).join(", ")}`);
  return { glue, coreModules, imports, exports };
}
