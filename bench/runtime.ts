/**
 * The JavaScript runtime the benchmark runs Kiln's services on: the Node that runs the bench (with
 * the tsx loader), another Node binary, or Deno 2. Recorded with every result.
 */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

export interface ServiceRuntime {
  /** e.g. `node v20.20.2`, `deno 2.9.6`. */
  readonly label: string;
  /** The command line that runs a TypeScript entry point of the repository. */
  command(entry: string): { file: string; args: string[] };
}

/**
 * `node` (this process's Node), `node:<path to a node binary>` or `deno` (found on PATH or in
 * node_modules/.bin).
 */
export function resolveRuntime(spec: string): ServiceRuntime {
  if (spec === "node" || spec.startsWith("node:")) {
    const binary = spec === "node" ? process.execPath : spec.slice("node:".length);
    const version = probe(binary, ["--version"]);
    return { label: `node ${version}`, command: (entry) => ({ file: binary, args: ["--import", "tsx", entry] }) };
  }
  if (spec === "deno") {
    const binary = [join(REPO_ROOT, "node_modules", ".bin", "deno"), "deno"].find((candidate) => probeOk(candidate));
    if (!binary) throw new Error("deno not found: install it with `npm install --no-save deno@2` or put it on PATH");
    const version = probe(binary, ["--version"]).split("\n")[0]!;
    return { label: version, command: (entry) => ({ file: binary, args: ["run", "-A", entry] }) };
  }
  throw new Error(`unknown runtime '${spec}': use node, node:/path/to/node or deno`);
}

function probeOk(binary: string): boolean {
  return spawnSync(binary, ["--version"], { encoding: "utf8" }).status === 0;
}

function probe(binary: string, args: string[]): string {
  const result = spawnSync(binary, args, { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${binary} ${args.join(" ")} failed: ${result.stderr || result.error?.message}`);
  return result.stdout.trim();
}
