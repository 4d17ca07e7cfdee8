/**
 * componentize-js starts every compile by splicing the world's bindings into its SpiderMonkey engine:
 * 8–14 s of wasm on one core, more than half of a deploy. The splice reads the engine, the enabled
 * features and the WIT world — never the tenant's code — so its result is kept on disk, keyed by a
 * hash of exactly those inputs, and every later compile (in any process) starts from it.
 * Runs inside the componentize child process (componentize-worker.ts).
 */
import { createHash, randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** `splicer.spliceBindings` of componentize-js (lib/interfaces/local-spidermonkey-embedding-splicer-splicer.d.ts). */
interface SpliceResult {
  wasm: Uint8Array;
  jsBindings: string;
  exports: unknown[];
  imports: unknown[];
}
type SpliceBindings = (
  engine: Uint8Array,
  features: string[],
  witWorld: string | undefined,
  witPath: string | undefined,
  worldName: string | undefined,
  debug: boolean,
) => SpliceResult;

/**
 * componentize-js keeps the splicer in a module of its own that its package does not export; this is
 * the same module instance componentize.js imports (one URL, one instance), so replacing its function
 * changes what `componentize` calls.
 */
async function loadSplicer(): Promise<{ spliceBindings: SpliceBindings }> {
  const url = new URL("../lib/spidermonkey-embedding-splicer.js", import.meta.resolve("@bytecodealliance/componentize-js"));
  const module = (await import(url.href)) as { splicer: { spliceBindings: SpliceBindings } };
  return module.splicer;
}

/** Every file under `dir` (the WIT world and its deps), as path and contents, in a stable order. */
function filesUnder(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = join(prefix, entry.name);
      return entry.isDirectory() ? filesUnder(dir, path) : [`${path}\n${readFileSync(join(dir, path), "utf8")}`];
    });
}

function spliceKey(...[engine, features, witWorld, witPath, worldName, debug]: Parameters<SpliceBindings>): string {
  const hash = createHash("sha256").update(engine);
  hash.update(JSON.stringify({ features: [...features].sort(), witWorld, worldName, debug }));
  if (witPath !== undefined) for (const file of filesUnder(witPath)) hash.update(file);
  return hash.digest("hex").slice(0, 32);
}

function writeAtomically(path: string, data: Uint8Array | string): void {
  const temp = `${path}.${randomUUID()}.tmp`;
  try {
    writeFileSync(temp, data);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * Makes componentize-js read spliced engines from `dir` (created if missing) and write the ones it has
 * to splice there. `<key>.wasm` is written before `<key>.json`, each atomically, so a reader that finds
 * the JSON finds a whole engine. An unreadable entry is spliced again; a folder that cannot be written
 * (a read-only image) only costs the splice.
 */
export async function cacheSplicedEngines(dir: string): Promise<void> {
  const splicer = await loadSplicer();
  const splice = splicer.spliceBindings;
  splicer.spliceBindings = (engine, features, witWorld, witPath, worldName, debug) => {
    const key = spliceKey(engine, features, witWorld, witPath, worldName, debug);
    const wasmPath = join(dir, `${key}.wasm`);
    const metaPath = join(dir, `${key}.json`);
    try {
      const meta = JSON.parse(readFileSync(metaPath, "utf8")) as Omit<SpliceResult, "wasm">;
      return { ...meta, wasm: new Uint8Array(readFileSync(wasmPath)) };
    } catch {
      // not spliced yet (or a damaged entry): splice below
    }
    const result = splice(engine, features, witWorld, witPath, worldName, debug);
    try {
      mkdirSync(dir, { recursive: true });
      writeAtomically(wasmPath, result.wasm);
      const { wasm: _wasm, ...meta } = result;
      writeAtomically(metaPath, JSON.stringify(meta));
    } catch (error) {
      process.stderr.write(`kiln: could not keep the spliced engine in ${dir} (${String(error)}); the next compile splices again\n`);
    }
    return result;
  };
}
