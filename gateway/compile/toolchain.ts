/**
 * Where the compile pipeline's inputs live (the SDK, the WIT world) and the identity of the toolchain
 * that turns a source into an artifact. Any change to that identity gives every source a new version.
 */
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { version as esbuildVersion } from "esbuild";
import { sha256Hex } from "../../infra/sha256.ts";

/** The repository root (this file is `gateway/compile/toolchain.ts`). */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
/** The module tenants import as `kiln:workflow` (and `cloudflare:workers`). */
export const SDK_MODULE = join(REPO_ROOT, "sdk", "mod.ts");
/** Builds the component's `activate` export around the tenant's module. */
export const SDK_ACTIVATE = join(REPO_ROOT, "sdk", "activate.ts");
export const WIT_DIR = join(REPO_ROOT, "wit");
export const WORLD_NAME = "workflow";
/** The world's package version: bump it (wit/workflow.wit) whenever the world changes. */
export const WIT_VERSION = "0.2.0";
export const WIT_PACKAGE = `kiln:workflow@${WIT_VERSION}`;
/** Where compiles keep the engine with the world spliced in (see spliced-engine-cache.ts). */
export const DEFAULT_ENGINE_CACHE_DIR = join(REPO_ROOT, "node_modules", ".cache", "kiln-spliced-engines");

/** Inputs hashed into the toolchain identity: the guest SDK, the wire contract, the world and this pipeline. */
const HASHED_DIRS: ReadonlyArray<{ dir: string; suffix: string }> = [
  { dir: "sdk", suffix: ".ts" },
  { dir: "contract", suffix: ".ts" },
  { dir: "wit", suffix: ".wit" },
  { dir: "gateway/compile", suffix: ".ts" },
];

/** Reads a dependency's version from its package.json, found along Node's module lookup path. */
async function packageVersion(name: string): Promise<string> {
  const lookup = createRequire(import.meta.url).resolve.paths(name) ?? [];
  for (const modules of lookup) {
    try {
      const manifest = JSON.parse(await readFile(join(modules, name, "package.json"), "utf8")) as { version?: unknown };
      if (typeof manifest.version === "string") return manifest.version;
    } catch {
      // not installed at this level: keep looking
    }
  }
  throw new Error(`cannot find the package '${name}'; install dependencies with npm ci`);
}

async function hashInputs(): Promise<string> {
  const parts: string[] = [];
  for (const { dir, suffix } of HASHED_DIRS) {
    const names = (await readdir(join(REPO_ROOT, dir))).filter((name) => name.endsWith(suffix)).sort();
    for (const name of names) parts.push(`${dir}/${name}\n${await readFile(join(REPO_ROOT, dir, name), "utf8")}`);
  }
  return (await sha256Hex(parts.join("\0"))).slice(0, 16);
}

let identity: Promise<string> | undefined;

/**
 * e.g. `componentize-js@0.23.0 jco@1.35.0 esbuild@0.28.2 inputs#1a2b…`: read once per process, stored in
 * every artifact and hashed into every version.
 */
export function toolchainIdentity(): Promise<string> {
  identity ??= (async () => {
    const [componentizeJs, jco, inputs] = await Promise.all([
      packageVersion("@bytecodealliance/componentize-js"),
      packageVersion("@bytecodealliance/jco"),
      hashInputs(),
    ]);
    return `componentize-js@${componentizeJs} jco@${jco} esbuild@${esbuildVersion} inputs#${inputs}`;
  })();
  identity.catch(() => (identity = undefined));
  return identity;
}
