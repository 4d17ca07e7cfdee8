/**
 * Step 1 of a deploy: bundle the tenant's files with the guest SDK into one ES module for
 * componentize-js. Tenant files are served from memory by an esbuild plugin; they may import only each
 * other and `kiln:workflow` (alias `cloudflare:workers`). Every refused import and syntax error is
 * reported at once, positioned in the tenant's own file.
 */
import { resolve as resolvePath } from "node:path";
import { build, type BuildFailure, type Message, type Metafile, type OnResolveArgs, type OnResolveResult, type Plugin } from "esbuild";
import { ALLOWED_IMPORTS } from "./capabilities.ts";
import { CompileError, type CompileDiagnostic, type CompileErrorCode } from "./errors.ts";
import { REPO_ROOT, SDK_ACTIVATE, SDK_MODULE } from "./toolchain.ts";
import type { WorkflowSource } from "./types.ts";
import { loaderFor, normalizeSource, resolveRelative } from "./virtual-files.ts";

/** Tenant modules live in this esbuild namespace; their paths are the tenant's own relative paths. */
const TENANT_NS = "kiln-tenant";
const ENTRY_NS = "kiln-entry";
const ENTRY_ID = "kiln:entry";
const TENANT_ENTRY_ID = "kiln:tenant-entry";
const CONTRACT_DIR = `${REPO_ROOT}/contract/`;
const SDK_ALIASES = new Set(["kiln:workflow", "cloudflare:workers"]);
/** Virtual output folder: nothing is written, but source map paths are relative to it. */
const OUT_DIR = "/kiln-bundle";
/** Internal sources in the source map are named `kiln:<repo path>` so they never pass for tenant files. */
export const INTERNAL_SOURCE_PREFIX = "kiln:";

/** The bundle handed to componentize-js. */
export interface Bundle {
  /** ES module exporting `activate(request: string): string`. */
  code: string;
  /** Source map v3 of `code`: tenant files under their own paths, SDK files as `kiln:sdk/…`. */
  sourceMap: string;
  warnings: string[];
}

const FORBIDDEN = "workflows may import only relative files and 'kiln:workflow'";

function tenantPlugin(source: WorkflowSource): Plugin {
  const entryModule =
    `import * as tenant from ${JSON.stringify(TENANT_ENTRY_ID)};\n` +
    `import { createActivate } from ${JSON.stringify(SDK_ACTIVATE)};\n` +
    `export const activate = createActivate(tenant);\n`;

  function fromTenant(args: OnResolveArgs): OnResolveResult {
    const spec = args.path;
    if (SDK_ALIASES.has(spec)) return { path: SDK_MODULE };
    if (spec.startsWith("./") || spec.startsWith("../")) {
      const resolved = resolveRelative(source.files, args.importer, spec);
      return resolved.ok ? { path: resolved.path, namespace: TENANT_NS } : { errors: [{ text: resolved.message }] };
    }
    const hint = spec.startsWith("/") ? "; use a relative path such as './lib.ts'" : "";
    return { errors: [{ text: `import '${spec}' is not allowed: ${FORBIDDEN}${hint}` }] };
  }

  return {
    name: "kiln-tenant-files",
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args): OnResolveResult | undefined => {
        if (args.kind === "entry-point") {
          if (args.path === ENTRY_ID) return { path: ENTRY_ID, namespace: ENTRY_NS };
          return { path: source.entry, namespace: TENANT_NS };
        }
        if (args.namespace === ENTRY_NS) {
          return args.path === TENANT_ENTRY_ID ? { path: source.entry, namespace: TENANT_NS } : { path: SDK_ACTIVATE };
        }
        if (args.namespace === TENANT_NS) return fromTenant(args);
        // The SDK's own files: the world's imports (capabilities.ts) stay for componentize-js, the rest resolves normally.
        if (ALLOWED_IMPORTS.has(args.path)) return { path: args.path, external: true };
        // contract/ is pure data and functions (no I/O, no module-level effects), but esbuild cannot tell
        // that `z.object(…)` at module level is pure; saying so keeps zod and unused schemas out of
        // every tenant component (about 700 KB of JavaScript).
        const path = args.path.startsWith(".") ? resolvePath(args.resolveDir, args.path) : undefined;
        if (path?.startsWith(CONTRACT_DIR)) return { path, sideEffects: false };
        return undefined;
      });
      b.onLoad({ filter: /.*/, namespace: ENTRY_NS }, () => ({ contents: entryModule, loader: "js", resolveDir: REPO_ROOT }));
      b.onLoad({ filter: /.*/, namespace: TENANT_NS }, (args) => ({
        contents: source.files[args.path] ?? "",
        loader: loaderFor(args.path) ?? "ts",
      }));
    },
  };
}

/** esbuild names a tenant file `kiln-tenant:index.ts`; the tenant knows it as `index.ts`. */
function tenantFileName(file: string): string {
  return file.startsWith(`${TENANT_NS}:`) ? file.slice(TENANT_NS.length + 1) : file;
}

function toDiagnostic(message: Message): CompileDiagnostic {
  const location = message.location;
  if (!location) return { file: "", line: 0, column: 0, message: message.text };
  const file = tenantFileName(location.file);
  const internal = file.startsWith("/") || file.startsWith(ENTRY_NS);
  return {
    file: internal ? "kiln:workflow" : file,
    line: internal ? 0 : location.line,
    // esbuild counts columns from 0; tenants (and editors) count from 1.
    column: internal ? 0 : location.column + 1,
    message: message.text,
  };
}

function classify(errors: CompileDiagnostic[]): CompileErrorCode {
  const forbidden = errors.every((error) => error.message.includes(`: ${FORBIDDEN}`));
  return forbidden ? "forbidden_import" : "compile_failed";
}

function rewriteSourceMap(mapJson: string): string {
  const map = JSON.parse(mapJson) as { sources: string[]; sourcesContent?: unknown };
  map.sources = map.sources.map((source) => {
    if (source.startsWith(`${TENANT_NS}:`)) return tenantFileName(source);
    if (source.startsWith(`${ENTRY_NS}:`)) return ENTRY_ID;
    const absolute = new URL(source, `file://${OUT_DIR}/`).pathname;
    if (absolute.startsWith(`${REPO_ROOT}/`)) return INTERNAL_SOURCE_PREFIX + absolute.slice(REPO_ROOT.length + 1);
    return INTERNAL_SOURCE_PREFIX + source;
  });
  delete map.sourcesContent;
  return JSON.stringify(map);
}

/** Exports of the tenant entry, read from the metafile output of its own entry point. */
function entryExports(metafile: Metafile): string[] {
  const output = Object.values(metafile.outputs).find((candidate) => candidate.entryPoint?.startsWith(`${TENANT_NS}:`));
  return output?.exports ?? [];
}

function exportWarnings(source: WorkflowSource, exports: string[]): string[] {
  const named = exports.filter((name) => name !== "default");
  if (!exports.includes("default") || named.length === 0) return [];
  const text = source.files[source.entry] ?? "";
  // A default export that is itself a workflow class wins (see sdk/activate.ts): nothing is ignored then.
  if (/export\s+default\s+class\b[^{]*\bextends\s+WorkflowEntrypoint\b/.test(text)) return [];
  const classes = named.filter((name) => new RegExp(`\\bclass\\s+${name}\\b[^{]*\\bextends\\s+WorkflowEntrypoint\\b`).test(text));
  const runs = classes.length > 0 ? classes : named;
  const what =
    runs.length === 1
      ? `the exported WorkflowEntrypoint class '${runs[0]}'`
      : `the exported WorkflowEntrypoint class among ${runs.map((n) => `'${n}'`).join(", ")}`;
  return [`the default export is ignored: Kiln runs ${what}`];
}

/**
 * Bundles a tenant's source with the guest SDK. Throws a `CompileError` listing every problem
 * (`line` 1-based, `column` 1-based) when the source cannot be bundled.
 */
export async function bundleWorkflow(input: WorkflowSource): Promise<Bundle> {
  const source = normalizeSource(input);
  let result;
  try {
    result = await build({
      entryPoints: [
        { in: ENTRY_ID, out: "workflow" },
        { in: TENANT_ENTRY_ID, out: "tenant-exports" },
      ],
      outdir: OUT_DIR,
      write: false,
      bundle: true,
      format: "esm",
      platform: "neutral",
      target: "es2022",
      sourcemap: "external",
      sourcesContent: false,
      metafile: true,
      keepNames: true,
      logLevel: "silent",
      // Tenant TypeScript is read with TypeScript's defaults, whatever tsconfig sits on the gateway's disk.
      tsconfigRaw: {},
      plugins: [tenantPlugin(source)],
    });
  } catch (error) {
    const failure = error as Partial<BuildFailure>;
    if (!Array.isArray(failure.errors)) throw error;
    const errors = failure.errors.map(toDiagnostic);
    throw new CompileError(classify(errors), errors, { cause: error });
  }
  const code = result.outputFiles.find((file) => file.path === `${OUT_DIR}/workflow.js`)?.text;
  const map = result.outputFiles.find((file) => file.path === `${OUT_DIR}/workflow.js.map`)?.text;
  if (code === undefined || map === undefined) throw new Error("esbuild produced no workflow.js bundle");
  const exports = entryExports(result.metafile);
  if (exports.length === 0) {
    throw new CompileError("compile_failed", [
      {
        file: source.entry,
        line: 0,
        column: 0,
        message: `the entry '${source.entry}' exports nothing; export a class extending WorkflowEntrypoint from "kiln:workflow"`,
      },
    ]);
  }
  return { code, sourceMap: rewriteSourceMap(map), warnings: exportWarnings(source, exports) };
}
