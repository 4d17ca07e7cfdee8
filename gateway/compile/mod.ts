/**
 * The compile pipeline: tenant source → esbuild bundle → componentize-js component → jco transpile →
 * `Artifact`. Pre-built components are validated against the world and transpiled. Compiles are
 * bounded by a queue, merged per version, and optionally cached on disk.
 */
import { ARTIFACT_VERSION, type Artifact } from "../../contract/artifact.ts";
import { bundleWorkflow } from "./bundle.ts";
import { createCompileCache, type CompileCache } from "./compile-cache.ts";
import { createCompileQueue, type CompileQueue } from "./compile-queue.ts";
import { componentizeBundle } from "./componentize.ts";
import { toolchainIdentity } from "./toolchain.ts";
import type { CompileOutput, WorkflowSource } from "./types.ts";
import { sourceVersion } from "./version.ts";
import { normalizeSource } from "./virtual-files.ts";
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

/** Builds a compiler; one per gateway process. */
export function createCompiler(options: CompilerOptions = {}): Compiler {
  const queue = createCompileQueue(options.concurrency === undefined ? {} : { concurrency: options.concurrency });
  const cache: CompileCache | undefined = options.cacheDir === undefined ? undefined : createCompileCache(options.cacheDir);
  const now = options.now ?? Date.now;

  /** Cache, then `build` in the queue (merged per version), then cache again. */
  async function cached(
    version: string,
    build: () => Promise<CompileOutput<Artifact>>,
  ): Promise<CompileOutput<Artifact> & { version: string }> {
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
      return cached(version, async () => {
        const built = await componentizeBundle(bundle.code);
        const artifact: Artifact = {
          version: ARTIFACT_VERSION,
          glue: built.glue,
          coreModules: built.coreModules,
          sourceMap: bundle.sourceMap,
          bundleFile: built.bundleFile,
          toolchain: await toolchainIdentity(),
          createdAt: now(),
        };
        return { artifact, warnings: bundle.warnings };
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
        return { artifact, warnings: [] };
      });
    },
    versionOf(source) {
      return source instanceof Uint8Array ? sourceVersion(source, "wasm") : sourceVersion(normalizeSource(source), "source");
    },
  };
}
