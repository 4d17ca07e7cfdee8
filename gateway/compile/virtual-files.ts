/**
 * The tenant's files as a virtual file system: path rules and relative-import resolution. Tenant files
 * never touch the disk, and no path may leave the file set.
 */
import { CompileError, type CompileDiagnostic } from "./errors.ts";
import type { WorkflowSource } from "./types.ts";

/** Extensions a tenant file may have, and how esbuild reads each. */
export const TENANT_LOADERS = {
  ".ts": "ts",
  ".mts": "ts",
  ".cts": "ts",
  ".js": "js",
  ".mjs": "js",
  ".cjs": "js",
  ".json": "json",
} as const;
export type TenantLoader = (typeof TENANT_LOADERS)[keyof typeof TENANT_LOADERS];

const SEGMENT = /^[A-Za-z0-9_@][A-Za-z0-9_.@+-]*$/;
export const MAX_FILES = 256;

/** Why a path is not acceptable, or `undefined` when it is fine. */
function pathProblem(path: string): string | undefined {
  if (path.length === 0) return "a file path is empty";
  if (path.length > 512) return `the path '${path.slice(0, 60)}…' is longer than 512 characters`;
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) return `the path '${path}' is absolute; use a path relative to the workflow's root, e.g. 'index.ts'`;
  if (path.includes("\\")) return `the path '${path}' contains '\\'; separate folders with '/'`;
  for (const segment of path.split("/")) {
    if (segment === "..") return `the path '${path}' escapes the workflow's root with '..'`;
    if (!SEGMENT.test(segment)) return `the path '${path}' has an invalid name '${segment}' (use letters, digits, '_', '-', '.', '@', '+')`;
  }
  if (loaderFor(path) === undefined) {
    return `the file '${path}' has an unsupported extension; use ${Object.keys(TENANT_LOADERS).join(", ")}`;
  }
  return undefined;
}

/** `./lib//x.ts` → `lib/x.ts`; leaves `..` in place for `pathProblem` to refuse. */
export function normalizePath(path: string): string {
  return path
    .split("/")
    .filter((segment) => segment !== "" && segment !== ".")
    .join("/");
}

export function loaderFor(path: string): TenantLoader | undefined {
  const dot = path.lastIndexOf(".");
  if (dot < 0) return undefined;
  return (TENANT_LOADERS as Record<string, TenantLoader>)[path.slice(dot).toLowerCase()];
}

/**
 * Validates paths and returns the source with normalized paths, or throws a `CompileError` listing
 * every bad path.
 */
export function normalizeSource(source: WorkflowSource): WorkflowSource {
  const errors: CompileDiagnostic[] = [];
  const files: Record<string, string> = {};
  const entries = Object.entries(source.files);
  if (entries.length === 0) errors.push({ file: "", line: 0, column: 0, message: "no files were submitted; send at least the entry module" });
  if (entries.length > MAX_FILES) errors.push({ file: "", line: 0, column: 0, message: `${entries.length} files were submitted; the limit is ${MAX_FILES}` });
  for (const [raw, text] of entries) {
    const path = normalizePath(raw);
    // An absolute path would normalize to a relative one; refuse it as written instead.
    const problem = pathProblem(raw.startsWith("/") ? raw : path);
    if (problem !== undefined) errors.push({ file: raw, line: 0, column: 0, message: problem });
    else if (typeof text !== "string") errors.push({ file: raw, line: 0, column: 0, message: `the content of '${raw}' must be text` });
    else if (path in files) errors.push({ file: raw, line: 0, column: 0, message: `the path '${raw}' names the same file as another path` });
    else files[path] = text;
  }
  const entry = normalizePath(source.entry);
  if (errors.length === 0 && !(entry in files)) {
    errors.push({
      file: source.entry,
      line: 0,
      column: 0,
      message: `the entry '${source.entry}' is not among the submitted files (${Object.keys(files).join(", ")}); set entry to one of them`,
    });
  }
  if (errors.length > 0) throw new CompileError("compile_failed", errors);
  return { files, entry };
}

/** Suffixes tried for an extensionless or `.js`-spelled relative import, in order (TypeScript's habit). */
const CANDIDATE_SUFFIXES = ["", ".ts", ".mts", ".js", ".mjs", ".json", "/index.ts", "/index.mts", "/index.js", "/index.mjs"];

export type RelativeResolution = { ok: true; path: string } | { ok: false; message: string };

/** Resolves `specifier` (starting with `./` or `../`) imported from `importer` within `files`. */
export function resolveRelative(files: Readonly<Record<string, string>>, importer: string, specifier: string): RelativeResolution {
  const base = importer.split("/").slice(0, -1);
  for (const segment of specifier.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (base.length === 0) return { ok: false, message: `import '${specifier}' escapes the workflow's root; imports must stay within the submitted files` };
      base.pop();
    } else base.push(segment);
  }
  const target = base.join("/");
  const stems = [target];
  // `import "./x.js"` names `x.ts` in TypeScript's ESM convention.
  const js = /\.(m?)js$/.exec(target);
  if (js) stems.push(`${target.slice(0, -js[0].length)}.${js[1] ?? ""}ts`);
  for (const stem of stems) {
    for (const suffix of CANDIDATE_SUFFIXES) {
      if (Object.hasOwn(files, stem + suffix)) return { ok: true, path: stem + suffix };
    }
  }
  return {
    ok: false,
    message: `cannot find '${specifier}': no file '${target}' among the submitted files (${Object.keys(files).sort().join(", ")}); add it to files or fix the path`,
  };
}
