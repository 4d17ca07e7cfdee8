/**
 * Deploying a pre-built component (`application/wasm`, from any language): it must be a component of
 * the world `kiln:workflow` (wit/workflow.wit) — importing nothing outside it, exporting `activate` and
 * nothing else — and is then transpiled like a compiled source.
 */
import { componentWit } from "@bytecodealliance/jco";
import { ALLOWED_IMPORTS, capabilitiesOf, type Capability } from "./capabilities.ts";
import { CompileError, type CompileDiagnostic } from "./errors.ts";
import { WIT_PACKAGE } from "./toolchain.ts";
import { transpileComponent, type TranspiledComponent } from "./transpile.ts";
const ACTIVATE_SIGNATURE = "func(request: string) -> string";
/** How diagnostics name the uploaded file. */
const FILE = "component.wasm";

export interface ComponentWorld {
  /** e.g. `kiln:workflow/engine@0.2.0`, or a bare name for a function or inline interface import. */
  imports: string[];
  /** Export name → its WIT type text, e.g. `activate` → `func(request: string) -> string`. */
  exports: Map<string, string>;
}

const invalid = (message: string): CompileDiagnostic => ({ file: FILE, line: 0, column: 0, message });

/** Refuses core modules and anything that is not a WebAssembly binary, before any parsing. */
function checkPreamble(bytes: Uint8Array): void {
  const isWasm = bytes.byteLength >= 8 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d;
  if (!isWasm) throw new CompileError("invalid_component", [invalid("the upload is not a WebAssembly binary (it lacks the \\0asm header)")]);
  const layer = bytes[6]! | (bytes[7]! << 8);
  if (layer === 0) {
    throw new CompileError("invalid_component", [
      invalid(
        `the upload is a core WebAssembly module, not a component; wrap it with 'wasm-tools component new' (targeting ${WIT_PACKAGE}, world workflow) or build with componentize-js`,
      ),
    ]);
  }
  if (layer !== 1) throw new CompileError("invalid_component", [invalid(`the upload has an unknown WebAssembly layer ${layer}; upload a component`)]);
}

/** Reads the top-level `import` / `export` items of the component's world from its WIT text. */
export function parseWorld(wit: string): ComponentWorld {
  const imports: string[] = [];
  const exports = new Map<string, string>();
  for (const line of wit.split("\n")) {
    // World items sit at exactly two spaces; deeper lines belong to inline interfaces.
    const item = /^ {2}(import|export)\s+(.+?);?\s*$/.exec(line);
    if (!item) continue;
    const [, direction, rest = ""] = item;
    // `name: type` has a space after the colon; an interface id (`ns:pkg/iface@1.0.0`) has none.
    const named = /^%?([a-z0-9-]+):\s+(.*?)\s*\{?$/.exec(rest);
    const name = named ? named[1]! : rest.trim();
    if (direction === "import") imports.push(name);
    else exports.set(name, named ? named[2]! : "interface");
  }
  return { imports, exports };
}

/** Every reason the world does not fit the `kiln:workflow` world: each import and export outside it, a missing `activate`. */
export function worldProblems(world: ComponentWorld): CompileDiagnostic[] {
  const problems: CompileDiagnostic[] = [];
  for (const name of world.imports) {
    if (!ALLOWED_IMPORTS.has(name)) problems.push(invalid(`the component imports '${name}', which the ${WIT_PACKAGE} world does not grant`));
  }
  for (const [name, type] of world.exports) {
    if (name === "activate") continue;
    const item = type === "interface" ? name : `${name}: ${type}`;
    problems.push(
      invalid(`the component exports '${item}', which the ${WIT_PACKAGE} world does not define; it exports only 'activate: ${ACTIVATE_SIGNATURE}'`),
    );
  }
  const activate = world.exports.get("activate");
  if (activate === undefined) {
    problems.push(invalid(`the component does not export 'activate: ${ACTIVATE_SIGNATURE}'; target world 'workflow' of ${WIT_PACKAGE}`));
  } else if (activate.replace(/\s+/g, " ") !== ACTIVATE_SIGNATURE) {
    problems.push(invalid(`the component exports 'activate: ${activate}', but the world needs 'activate: ${ACTIVATE_SIGNATURE}'`));
  }
  return problems;
}

/**
 * Validates an uploaded component and transpiles it; throws `CompileError` (`invalid_component`) listing
 * every problem. `capabilities` are the world's interfaces it imports.
 */
export async function transpileUpload(bytes: Uint8Array): Promise<TranspiledComponent & { capabilities: Capability[] }> {
  checkPreamble(bytes);
  let wit: string;
  try {
    wit = await componentWit(bytes);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new CompileError("invalid_component", [invalid(`the component cannot be read: ${detail.slice(0, 1000)}`)], { cause: error });
  }
  const world = parseWorld(wit);
  const problems = worldProblems(world);
  if (problems.length > 0) throw new CompileError("invalid_component", problems);
  try {
    return { ...(await transpileComponent(bytes)), capabilities: capabilitiesOf(world.imports) };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new CompileError("invalid_component", [invalid(`the component cannot be transpiled: ${detail.slice(0, 1000)}`)], { cause: error });
  }
}
