/** `kiln deploy <file|dir>`: one module, a folder of modules with an entry, or a pre-built component. */
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, extname, join, relative, sep } from "node:path";
import { isKilnCompileError, type Deployable, type KilnClient } from "../client/mod.ts";
import { formatDiagnostic } from "./code-frame.ts";
import { UsageError } from "./errors.ts";
import type { Output } from "./output.ts";

const SOURCE_EXTENSIONS = new Set([".ts", ".mts", ".js", ".mjs", ".json"]);
/** Folders that hold tooling, not the workflow. */
const SKIPPED_DIRS = new Set(["node_modules", ".git"]);
const ENTRY_CANDIDATES = ["index.ts", "index.mts", "index.js", "index.mjs"];

interface Loaded {
  deployable: Deployable;
  contentType?: string;
  /** The text of each file by the name the gateway knows it by, and where it is on disk: for code frames. */
  files: Map<string, { text: string; path: string }>;
  defaultName: string;
}

async function load(target: string, entry: string | undefined): Promise<Loaded> {
  const info = await stat(target).catch(() => {
    throw new UsageError(`cannot read '${target}': no such file or folder`);
  });
  const defaultName = basename(target, extname(target))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-");
  if (info.isDirectory()) {
    const files: Record<string, string> = {};
    const known = new Map<string, { text: string; path: string }>();
    for (const path of await sourceFiles(target)) {
      // The gateway names files with '/' whatever this machine uses.
      const name = relative(target, path).split(sep).join("/");
      const text = await readFile(path, "utf8");
      files[name] = text;
      known.set(name, { text, path });
    }
    const chosen = entry ?? ENTRY_CANDIDATES.find((candidate) => candidate in files);
    if (!chosen) throw new UsageError(`'${target}' has none of ${ENTRY_CANDIDATES.join(", ")}: name the entry with --entry`);
    if (!(chosen in files)) throw new UsageError(`entry '${chosen}' is not among the files of '${target}'`);
    return { deployable: { files, entry: chosen }, files: known, defaultName };
  }
  const extension = extname(target);
  if (extension === ".wasm") return { deployable: new Uint8Array(await readFile(target)), files: new Map(), defaultName };
  const text = await readFile(target, "utf8");
  const javascript = extension === ".js" || extension === ".mjs";
  // The gateway calls a single module index.ts (or index.js), whatever it was called here.
  const served = javascript ? "index.js" : "index.ts";
  return {
    deployable: text,
    contentType: javascript ? "application/javascript" : "application/typescript",
    files: new Map([[served, { text, path: target }]]),
    defaultName,
  };
}

async function sourceFiles(folder: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name)) found.push(...(await sourceFiles(path)));
    else if (entry.isFile() && SOURCE_EXTENSIONS.has(extname(entry.name))) found.push(path);
  }
  return found.sort();
}

export async function deploy(
  client: KilnClient,
  out: Output,
  target: string,
  options: { name?: string | undefined; entry?: string | undefined },
): Promise<number> {
  const loaded = await load(target, options.entry);
  const name = options.name ?? loaded.defaultName;
  try {
    const answer = await client.workflows.deploy(name, loaded.deployable, loaded.contentType ? { contentType: loaded.contentType } : {});
    const notes = [
      `deployed ${name} version ${answer.version}${answer.unchanged ? " (unchanged)" : ""}`,
      ...(answer.capabilities ? [`capabilities: ${answer.capabilities.join(", ") || "none"}`] : []),
      ...(answer.warnings ?? []).map((warning) => `warning: ${warning}`),
    ];
    out.result({ name, ...answer }, notes.join("\n"));
    return 0;
  } catch (error) {
    if (!isKilnCompileError(error) || out.json) throw error;
    // Point at the files on this machine, with the lines around each problem.
    for (const diagnostic of error.diagnostics) {
      const file = loaded.files.get(diagnostic.file);
      process.stderr.write(`${formatDiagnostic(diagnostic, file?.text, file?.path ?? diagnostic.file)}\n\n`);
    }
    process.stderr.write(`error: ${name} was not deployed (${error.code}, ${error.diagnostics.length} problem${error.diagnostics.length === 1 ? "" : "s"})\n`);
    return 1;
  }
}
