/** What the componentize child process and its parent exchange through the work folder. */

/** The bundle's file name in the work folder; SpiderMonkey reports it in stack frames. */
export const BUNDLE_NAME = "workflow.js";

/** `result.json`: the outputs sit in `out/` (`component.wasm`, `glue.js`, each core module). */
export interface WorkerResult {
  bundleFile: string;
  coreModules: string[];
  /** The component's imports as jco lists them, e.g. `kiln:workflow/http`. */
  imports: string[];
}
