/**
 * The compile pipeline: tenant source → esbuild bundle → componentize-js component → jco transpile →
 * `Artifact`. Pre-built components are validated against the world and transpiled. Compiles are
 * bounded by a queue, merged per version, and optionally cached on disk.
 */
import { ARTIFACT_VERSION, type Artifact } from "../../contract/artifact.ts";
import { serviceLogger } from "../../infra/logger.ts";
import { originalPosition } from "../../infra/stack-trace.ts";
import { bundleWorkflow, INTERNAL_SOURCE_PREFIX, type Bundle } from "./bundle.ts";
import { createCompileCache, type CompileCache } from "./compile-cache.ts";
import { createCompileQueue, type CompileQueue } from "./compile-queue.ts";
import { componentizeBundle } from "./componentize.ts";
import { CompileError, isCompileError } from "./errors.ts";
import { DEFAULT_ENGINE_CACHE_DIR, toolchainIdentity } from "./toolchain.ts";
import type { CompileOutput, WorkflowSource } from "./types.ts";
import { sourceVersion } from "./version.ts";
import { normalizeSource } from "./virtual-files.ts";
import { needsWarmUp, WARM_UP_SOURCE } from "./warm-up.ts";
import { transpileUpload } from "./wasm-upload.ts";

export { CompileError, CompileErrorCode, isCompileError, type CompileDiagnostic } from "./errors.ts";
export type { CompileOutput, WorkflowSource } from "./types.ts";
export { sourceVersion, type SourceKind } from "./version.ts";
export { bundleWorkflow, type Bundle } from "./bundle.ts";
export { createCompileQueue, type CompileQueue, type CompileQueueOptions } from "./compile-queue.ts";
export { createCompileCache, type CompileCache } from "./compile-cache.ts";

export interface CompilerOptions {
  /** Compiles running at once (each may take ~1 GB for ~20 s). @default os.availableParallelism() */
  concurrency?: number;
  /** Folder for the on-disk artifact cache (`KILN_COMPILE_CACHE_DIR`); no cache when absent. @default undefined */
  cacheDir?: string;
  /** Clock for `createdAt`. @default Date.now */
  now?: () => number;
  /** Stop a compile (and its processes) after this long. @default 180 s */
  compileTimeoutMs?: number;
  /** Splice the engine in the background now if no compile has yet (see warm-up.ts). @default false */
  warmUp?: boolean;
  /** Where spliced engines are kept (see spliced-engine-cache.ts). @default DEFAULT_ENGINE_CACHE_DIR */
  engineCacheDir?: string;
}

/** Turns deploys into artifacts. */
export interface Compiler {
  /**
   * Compiles TypeScript/JavaScript source. Rejects with `CompileError` (422) listing every problem;
   * bundling errors come back at once, without waiting for a compile slot.
   */
  compileSource(source: WorkflowSource): Promise<CompileOutput<Artifact> & { version: string }>;
  /** Validates and transpiles a pre-built component; rejects with `CompileError` (`invalid_component`). */
  compileWasm(bytes: Uint8Array): Promise<CompileOutput<Artifact> & { version: string }>;
  /** The version a source would get, without compiling it (cheap: a hash). */
  versionOf(source: WorkflowSource | Uint8Array): Promise<string>;
  /** The queue, for metrics (`active`, `waiting`). */
  readonly queue: CompileQueue;
}

/**
 * Top-level code that throws while the component is built is reported by SpiderMonkey as
 * `workflow.js:76:7 Error: …`; point the diagnostic at the tenant's own line instead.
 */
function pointIntoTenantFiles(error: unknown, bundle: Bundle): unknown {
  if (!isCompileError(error) || error.errors.length !== 1) return error;
  const [diagnostic] = error.errors;
  const at = /\bworkflow\.js:(\d+):(\d+) (.*)/.exec(diagnostic!.message);
  if (!at) return error;
  const original = originalPosition(bundle.sourceMap, Number(at[1]), Number(at[2]));
  if (!original || original.source.startsWith(INTERNAL_SOURCE_PREFIX)) return error;
  return new CompileError(
    error.code,
    [{ file: original.source, line: original.line, column: original.column, message: `top-level code threw while the component was built: ${at[3]}` }],
    { cause: error },
  );
}

/** Builds a compiler; one per gateway process. */
export function createCompiler(options: CompilerOptions = {}): Compiler {
  const queue = createCompileQueue(options.concurrency === undefined ? {} : { concurrency: options.concurrency });
  const cache: CompileCache | undefined = options.cacheDir === undefined ? undefined : createCompileCache(options.cacheDir);
  const now = options.now ?? Date.now;
  const engineCacheDir = options.engineCacheDir ?? DEFAULT_ENGINE_CACHE_DIR;
  const componentizeOptions = { engineCacheDir, ...(options.compileTimeoutMs === undefined ? {} : { timeoutMs: options.compileTimeoutMs }) };
  /** Settles when the start-up splice is done (or failed: the tenant's compile then splices itself). */
  const warmed: Promise<void> =
    options.warmUp && needsWarmUp(engineCacheDir)
      ? queue
          .run("warm-up", async () =>
            componentizeBundle((await bundleWorkflow(normalizeSource({ files: { "index.ts": WARM_UP_SOURCE }, entry: "index.ts" }))).code, componentizeOptions),
          )
          .then(
            () => undefined,
            (err: unknown) => serviceLogger("gateway").warn({ err }, "the start-up compile failed; the first deploy will splice the engine itself"),
          )
      : Promise.resolve();

  /** Cache, then `build` in the queue (merged per version), then cache again. */
  async function cached(version: string, build: () => Promise<CompileOutput<Artifact>>): Promise<CompileOutput<Artifact> & { version: string }> {
    const hit = await cache?.get(version);
    if (hit) return { ...hit, version };
    const output = await queue.run(version, async () => {
      const again = await cache?.get(version);
      if (again) return again;
      const built = await build();
      await cache?.put(version, built);
      return built;
    });
    return { ...output, version };
  }

  return {
    queue,
    async compileSource(input) {
      const source = normalizeSource(input);
      const version = await sourceVersion(source, "source");
      const hit = await cache?.get(version);
      if (hit) return { ...hit, version };
      // Bundle outside the queue: tenant mistakes are reported in milliseconds, not after a queue wait.
      const bundle = await bundleWorkflow(source);
      await warmed;
      return cached(version, async () => {
        const built = await componentizeBundle(bundle.code, componentizeOptions).catch((error: unknown) => {
          throw pointIntoTenantFiles(error, bundle);
        });
        const artifact: Artifact = {
          version: ARTIFACT_VERSION,
          glue: built.glue,
          coreModules: built.coreModules,
          sourceMap: bundle.sourceMap,
          bundleFile: built.bundleFile,
          toolchain: await toolchainIdentity(),
          createdAt: now(),
        };
        return { artifact, warnings: bundle.warnings, capabilities: built.capabilities };
      });
    },
    async compileWasm(bytes) {
      const version = await sourceVersion(bytes, "wasm");
      return cached(version, async () => {
        const built = await transpileUpload(bytes);
        const artifact: Artifact = {
          version: ARTIFACT_VERSION,
          glue: built.glue,
          coreModules: built.coreModules,
          // No source map: frames of an uploaded component are reported as the guest gives them.
          bundleFile: "component.wasm",
          toolchain: await toolchainIdentity(),
          createdAt: now(),
        };
        return { artifact, warnings: [], capabilities: built.capabilities };
      });
    },
    versionOf(source) {
      return source instanceof Uint8Array ? sourceVersion(source, "wasm") : sourceVersion(normalizeSource(source), "source");
    },
  };
}
