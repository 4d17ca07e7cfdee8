/**
 * The first compile after a fresh install splices the world into componentize-js's engine before it
 * can compile anything (spliced-engine-cache.ts): measured 21.9 s for that first deploy against
 * 6.8–8.7 s for later ones. The gateway does that splice at start-up, by compiling this workflow in
 * the background, so a tenant's first deploy finds the engine ready (or waits for the splice that
 * was already under way instead of running a second one beside it).
 */
import { readdirSync } from "node:fs";

/** The smallest workflow there is: its compile is the splice plus a few hundred milliseconds. */
export const WARM_UP_SOURCE = `import { WorkflowEntrypoint } from "kiln:workflow";
export class WarmUp extends WorkflowEntrypoint {
  async run() {
    return null;
  }
}
`;

/**
 * Whether `engineCacheDir` holds no spliced engine yet (a fresh install). A cache filled by an older
 * toolchain counts as warm: that upgrade pays one slow deploy, as before.
 */
export function needsWarmUp(engineCacheDir: string): boolean {
  try {
    return !readdirSync(engineCacheDir).some((name) => name.endsWith(".json"));
  } catch {
    return true;
  }
}
