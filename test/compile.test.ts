/**
 * The real pipeline, end to end: one componentize-js compile of test/fixtures/hello.ts through
 * `createCompiler`, the artifact through the codec, its glue imported and instantiated with a trivial
 * engine, and a tenant error's stack mapped back to the fixture. A second, pre-built-component deploy
 * reuses that compile's component (no second componentize of the same bundle through the compiler).
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeArtifact, encodeArtifact, type Artifact } from "../contract/artifact.ts";
import type { ActivationResult, EngineRequest } from "../contract/protocol.ts";
import { bundleWorkflow } from "../gateway/compile/bundle.ts";
import { componentizeBundle } from "../gateway/compile/componentize.ts";
import { createCompiler, type Compiler, type WorkflowSource } from "../gateway/compile/mod.ts";
import { remapStack } from "../infra/stack-trace.ts";
import { firstActivation, trivialEngine } from "./helpers/trivial-engine.ts";

const COMPILE_TIMEOUT_MS = 300_000;

interface WorkflowInstance {
  activate(request: string): string;
}
type Instantiate = (getCoreModule: (name: string) => Promise<WebAssembly.Module>, imports: Record<string, unknown>) => Promise<WorkflowInstance>;

/** Imports an artifact's glue from a temp file and instantiates it with a trivial engine. */
async function instantiate(artifact: Artifact, dir: string, logs: string[]): Promise<WorkflowInstance> {
  const gluePath = join(dir, `glue-${Math.random().toString(36).slice(2)}.mjs`);
  await writeFile(gluePath, artifact.glue);
  const glue = (await import(/* @vite-ignore */ pathToFileURL(gluePath).href)) as { instantiate: Instantiate };
  return glue.instantiate(
    async (name) => {
      const bytes = artifact.coreModules[name];
      if (!bytes) throw new Error(`the artifact has no core module '${name}'`);
      return WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
    },
    {
      "kiln:workflow/engine": { call: (request: string) => JSON.stringify(trivialEngine(JSON.parse(request) as EngineRequest)) },
      "kiln:workflow/logging": { log: (level: string, message: string) => logs.push(`${level} ${message}`) },
      "kiln:workflow/http": { fetch: () => ({ tag: "err", val: { tag: "refused", val: "no network in this test" } }) },
    },
  );
}

const activation = (params: unknown): string => firstActivation("hello", params);

describe("compile pipeline (componentize-js + jco)", () => {
  let dir: string;
  let compiler: Compiler;
  let source: WorkflowSource;
  let compiled: Awaited<ReturnType<Compiler["compileSource"]>>;
  let compileMs: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "kiln-compile-test-"));
    source = { files: { "hello.ts": await readFile(new URL("./fixtures/hello.ts", import.meta.url), "utf8") }, entry: "hello.ts" };
    compiler = createCompiler({ cacheDir: join(dir, "cache") });
    const started = performance.now();
    compiled = await compiler.compileSource(source);
    compileMs = performance.now() - started;
    console.info(
      `compileSource(hello.ts): ${Math.round(compileMs)} ms, core modules ${Object.values(compiled.artifact.coreModules).reduce((n, b) => n + b.byteLength, 0)} bytes`,
    );
  }, COMPILE_TIMEOUT_MS);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("produces an artifact with glue, core modules, a source map, the deploy warning and the capabilities it imports", () => {
    const { artifact, warnings, version, capabilities } = compiled;
    expect(capabilities).toEqual(["logging", "engine", "http"]);
    expect(version).toMatch(/^[0-9a-f]{24}$/);
    expect(artifact.glue).toContain("export function instantiate");
    expect(Object.keys(artifact.coreModules).sort()).toEqual(["workflow.core.wasm", "workflow.core2.wasm", "workflow.core3.wasm"]);
    expect(artifact.bundleFile).toBe("workflow.js");
    expect(artifact.toolchain).toMatch(/^componentize-js@0\.23\.0 jco@1\.35\.0 /);
    expect(warnings).toEqual(["the default export is ignored: Kiln runs the exported WorkflowEntrypoint class 'Hello'"]);
  });

  it("runs the workflow to completion through the codec and a trivial engine", async () => {
    const artifact = decodeArtifact(encodeArtifact(compiled.artifact));
    const logs: string[] = [];
    const instance = await instantiate(artifact, dir, logs);
    const result = JSON.parse(instance.activate(activation({ name: "ada" }))) as ActivationResult;
    expect(result).toEqual({ outcome: "complete", output: { greeting: "hello ada", when: true } });
    // A warm instance serves another activation.
    const again = JSON.parse(instance.activate(activation({ name: "bob" }))) as ActivationResult;
    expect(again).toEqual({ outcome: "complete", output: { greeting: "hello bob", when: true } });
  });

  it("maps a tenant error's stack back to the fixture's line", async () => {
    const logs: string[] = [];
    const instance = await instantiate(compiled.artifact, dir, logs);
    const result = JSON.parse(instance.activate(activation({ name: "ada", fail: true }))) as ActivationResult;
    if (result.outcome !== "errored") throw new Error(`expected an error, got ${JSON.stringify(result)}`);
    expect(result.error.message).toBe("failing after hello ada");
    const raw = result.error.stack ?? "";
    expect(raw).toMatch(/^run@workflow\.js:\d+:\d+$/m);
    // `throw new Error(…)` on line 12 of hello.ts: SpiderMonkey points at `new`, column 35.
    expect(remapStack(raw, compiled.artifact).split("\n")[0]).toBe("run@hello.ts:12:35");
  });

  it("answers an identical deploy from the cache, even in another compiler sharing the folder", async () => {
    const started = performance.now();
    const again = await createCompiler({ cacheDir: join(dir, "cache") }).compileSource({ ...source });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(again.version).toBe(compiled.version);
    expect(again.warnings).toEqual(compiled.warnings);
    expect(again.artifact.glue).toBe(compiled.artifact.glue);
  });

  it(
    "deploys the same workflow as a pre-built component",
    async () => {
      const built = await componentizeBundle((await bundleWorkflow(source)).code);
      const uploaded = await compiler.compileWasm(built.component);
      expect(uploaded.version).not.toBe(compiled.version);
      expect(uploaded.artifact.sourceMap).toBeUndefined();
      expect(uploaded.capabilities).toEqual(["logging", "engine", "http"]);
      const instance = await instantiate(uploaded.artifact, dir, []);
      expect(JSON.parse(instance.activate(activation({ name: "cy" })))).toEqual({
        outcome: "complete",
        output: { greeting: "hello cy", when: true },
      });
    },
    COMPILE_TIMEOUT_MS,
  );

  it(
    "points top-level code that throws while the component is built at the tenant's line",
    async () => {
      const files = { "index.ts": `${source.files["hello.ts"]}\nconst config = JSON.parse("{}");\nif (!config.ready) throw new Error("not configured");\n` };
      const error = await compiler.compileSource({ files, entry: "index.ts" }).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toMatchObject({
        name: "CompileError",
        code: "compile_failed",
        errors: [{ file: "index.ts", line: 25, column: 26, message: expect.stringContaining("Error: not configured") }],
      });
    },
    COMPILE_TIMEOUT_MS,
  );

  it(
    "keeps the spliced engine on disk and builds working components from it",
    async () => {
      const engineCacheDir = join(dir, "engines");
      const { code } = await bundleWorkflow(source);
      await componentizeBundle(code, { engineCacheDir });
      const kept = (await readdir(engineCacheDir)).sort();
      expect(kept).toEqual([expect.stringMatching(/^[0-9a-f]{32}\.json$/), expect.stringMatching(/^[0-9a-f]{32}\.wasm$/)]);
      const fromCache = await componentizeBundle(code, { engineCacheDir });
      expect((await readdir(engineCacheDir)).sort()).toEqual(kept);
      const instance = await instantiate({ ...compiled.artifact, glue: fromCache.glue, coreModules: fromCache.coreModules }, dir, []);
      expect(JSON.parse(instance.activate(activation({ name: "ada" })))).toEqual({
        outcome: "complete",
        output: { greeting: "hello ada", when: true },
      });
    },
    COMPILE_TIMEOUT_MS,
  );

  it("stops a compile that runs past its deadline, with advice", async () => {
    const files = { "index.ts": `${source.files["hello.ts"]}\nwhile (true) {}\n` };
    const error = await createCompiler({ compileTimeoutMs: 2_000 })
      .compileSource({ files, entry: "index.ts" })
      .then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
    expect(error).toMatchObject({ code: "compile_failed", message: expect.stringContaining("took longer than 2 s") });
  });
});
