/**
 * Child-process entry of `componentizeBundle` (see componentize.ts): componentize-js blocks its thread
 * for seconds (it runs wizer with spawnSync) and runs the tenant's top-level code, which may never end,
 * so it must not run inside the gateway. Usage: `node --import tsx componentize-worker.ts <dir> <engine-cache-dir>`
 * or `deno run -A componentize-worker.ts <dir> <engine-cache-dir>`, where `<dir>` holds the bundle; writes
 * `<dir>/out/*` and `<dir>/result.json`, or `<dir>/error.json`.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { cwd } from "node:process";
import { BUNDLE_NAME, type WorkerResult } from "./componentize-protocol.ts";
import { importWithPresizedHeaps } from "./presized-tool-heaps.ts";
import { cacheSplicedEngines } from "./spliced-engine-cache.ts";
import { WIT_DIR, WORLD_NAME } from "./toolchain.ts";

// The tools instantiate their wasm while their modules are evaluated: import them only here.
const [{ componentize }, { transpileComponent }] = await importWithPresizedHeaps(() =>
  Promise.all([import("@bytecodealliance/componentize-js"), import("./transpile.ts")]),
);

/**
 * componentize-js maps the bundle's folder into the guest and strips it from the name, unless that
 * folder lies under the working directory: then the name stays relative to it.
 */
function reportedFileName(sourcePath: string): string {
  const workingDir = cwd();
  return dirname(sourcePath).startsWith(workingDir) ? relative(workingDir, sourcePath) : basename(sourcePath);
}

async function main(dir: string, engineCacheDir: string): Promise<void> {
  await cacheSplicedEngines(engineCacheDir);
  const sourcePath = join(dir, BUNDLE_NAME);
  const { component } = await componentize({
    sourcePath,
    witPath: WIT_DIR,
    worldName: WORLD_NAME,
    disableFeatures: ["random", "stdio", "clocks", "http", "fetch-event"],
  });
  const { glue, coreModules, imports } = await transpileComponent(component);
  const out = join(dir, "out");
  await mkdir(out);
  await writeFile(join(out, "component.wasm"), component);
  await writeFile(join(out, "glue.js"), glue);
  for (const [name, bytes] of Object.entries(coreModules)) await writeFile(join(out, name), bytes);
  const result: WorkerResult = { bundleFile: reportedFileName(sourcePath), coreModules: Object.keys(coreModules), imports };
  await writeFile(join(dir, "result.json"), JSON.stringify(result));
}

const [dir, engineCacheDir] = process.argv.slice(2);
if (dir === undefined || engineCacheDir === undefined) {
  process.stderr.write("usage: componentize-worker.ts <dir> <engine-cache-dir>\n");
  process.exit(2);
}
main(dir, engineCacheDir).then(
  () => process.exit(0),
  async (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    await writeFile(join(dir, "error.json"), JSON.stringify({ message })).catch(() => undefined);
    process.exit(1);
  },
);
