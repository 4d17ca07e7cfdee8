/**
 * Step 2 of a deploy: componentize-js turns the bundle into a WebAssembly component of the world
 * `kiln:workflow` (wit/workflow.wit; SpiderMonkey with the bundle pre-initialised, no WASI features), and jco
 * transpiles it. That costs ~10–20 s and up to 1 GB, blocks its thread (wizer runs under spawnSync) and
 * runs the tenant's top-level code — so it runs in a child process of its own, killed (with everything
 * it started) after a deadline. Run it through the compile queue.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { currentRuntime } from "../../infra/runtime/mod.ts";
import { capabilitiesOf, type Capability } from "./capabilities.ts";
import { BUNDLE_NAME, type WorkerResult } from "./componentize-protocol.ts";
import { CompileError } from "./errors.ts";
import { DEFAULT_ENGINE_CACHE_DIR } from "./toolchain.ts";
import type { TranspiledComponent } from "./transpile.ts";

const WORKER = fileURLToPath(new URL("./componentize-worker.ts", import.meta.url));
/** @default 180 s: a healthy compile takes 10–20 s; more means top-level code that does not end. */
export const DEFAULT_COMPONENTIZE_TIMEOUT_MS = 180_000;
const MAX_LOG_CHARS = 4_000;

export interface ComponentizedBundle extends Omit<TranspiledComponent, "imports" | "exports"> {
  component: Uint8Array;
  /** The file name SpiderMonkey puts in stack frames of bundle code (`run@workflow.js:75:13`). */
  bundleFile: string;
  /** The world's capabilities the component imports. */
  capabilities: Capability[];
}

export interface ComponentizeOptions {
  /** Kill the compile after this long. @default DEFAULT_COMPONENTIZE_TIMEOUT_MS */
  timeoutMs?: number;
  /** Where spliced engines are kept between compiles (see spliced-engine-cache.ts). @default DEFAULT_ENGINE_CACHE_DIR */
  engineCacheDir?: string;
}

const failed = (message: string, cause?: unknown) =>
  new CompileError("compile_failed", [{ file: "", line: 0, column: 0, message }], cause === undefined ? undefined : { cause });

/** Runs the worker on `dir`; resolves with its exit code, or rejects on timeout after killing its process group. */
function runWorker(dir: string, engineCacheDir: string, timeoutMs: number): Promise<{ code: number | null; log: string }> {
  return new Promise((resolve, reject) => {
    // Its own process group, so a kill also reaches wizer, which componentize-js starts with spawnSync.
    // The compile folder is the working directory: componentize-js decides how to name the bundle
    // with a plain string-prefix test against the working directory, so any other folder whose path
    // happens to prefix the temp folder's (a checkout at /tmp/k, say) would mangle the name.
    // The worker runs on the gateway's own runtime (Node with the tsx loader, or Deno).
    const { launcher } = currentRuntime();
    const child = spawn(launcher.binary, launcher.scriptArgs(WORKER, { args: [dir, engineCacheDir] }), {
      cwd: dir,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", TMPDIR: process.env.TMPDIR ?? "" },
    });
    let log = "";
    const collect = (chunk: Buffer) => {
      if (log.length < MAX_LOG_CHARS) log += chunk.toString("utf8");
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
      reject(
        failed(
          `building the component took longer than ${Math.round(timeoutMs / 1000)} s and was stopped; ` +
            "check the module's top-level code for endless loops (it runs once while the component is built)",
        ),
      );
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, log });
    });
  });
}

/** Builds and transpiles a component from bundle code. Throws `CompileError` when the bundle cannot become one. */
export async function componentizeBundle(code: string, options: ComponentizeOptions = {}): Promise<ComponentizedBundle> {
  const dir = await mkdtemp(join(tmpdir(), "kiln-compile-"));
  try {
    await writeFile(join(dir, BUNDLE_NAME), code);
    const { code: exitCode, log } = await runWorker(
      dir,
      options.engineCacheDir ?? DEFAULT_ENGINE_CACHE_DIR,
      options.timeoutMs ?? DEFAULT_COMPONENTIZE_TIMEOUT_MS,
    );
    if (exitCode !== 0) {
      const reported = await readFile(join(dir, "error.json"), "utf8").then(
        (json) => (JSON.parse(json) as { message?: string }).message,
        () => undefined,
      );
      // The usual cause is tenant top-level code that throws while the component is pre-initialised.
      throw failed(`building the component failed; check the module's top-level code: ${(reported ?? log ?? `exit code ${exitCode}`).slice(0, 2_000)}`);
    }
    const result = JSON.parse(await readFile(join(dir, "result.json"), "utf8")) as WorkerResult;
    const out = join(dir, "out");
    const coreModules: Record<string, Uint8Array> = {};
    for (const name of result.coreModules) coreModules[name] = new Uint8Array(await readFile(join(out, name)));
    return {
      component: new Uint8Array(await readFile(join(out, "component.wasm"))),
      glue: await readFile(join(out, "glue.js"), "utf8"),
      coreModules,
      bundleFile: result.bundleFile,
      capabilities: capabilitiesOf(result.imports),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
