/**
 * The web console's files (`console/`), bundled by esbuild on first use and kept in memory, so users
 * have no build step and a gateway that nobody opens the console on never pays for it. The same
 * esbuild the compile pipeline runs, so it works wherever the gateway does (Node 20, Node 24, Deno 2).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { sha256Hex } from "../infra/sha256.ts";

/** The console's sources: the browser code, its stylesheet and its one HTML page. */
export const CONSOLE_DIR = fileURLToPath(new URL("../console/", import.meta.url));

/** One file the console serves. */
export interface ConsoleAsset {
  readonly body: string;
  readonly contentType: string;
  /** A strong ETag of `body`, so a browser revalidates without downloading the bundle again. */
  readonly etag: string;
}

export interface ConsoleAssets {
  readonly page: ConsoleAsset;
  readonly script: ConsoleAsset;
  readonly styles: ConsoleAsset;
}

/** A virtual output folder: nothing is written to disk. */
const OUT_DIR = "/kiln-console";

async function asset(body: string, contentType: string): Promise<ConsoleAsset> {
  return { body, contentType, etag: `"${(await sha256Hex(body)).slice(0, 32)}"` };
}

/** Bundles `console/main.ts` (with the typed client it imports) and its stylesheet into one script and one CSS file. */
export async function bundleConsole(dir = CONSOLE_DIR): Promise<ConsoleAssets> {
  const result = await build({
    entryPoints: [join(dir, "main.ts")],
    outdir: OUT_DIR,
    entryNames: "app",
    write: false,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    // Read with esbuild's defaults, whatever tsconfig sits beside the sources on the gateway's disk.
    tsconfigRaw: {},
    logLevel: "silent",
  });
  const output = (name: string) => {
    const file = result.outputFiles.find((candidate) => candidate.path === `${OUT_DIR}/${name}`);
    if (!file) throw new Error(`bundling the console produced no ${name}: is ${dir} complete?`);
    return file.text;
  };
  return {
    page: await asset(await readFile(join(dir, "index.html"), "utf8"), "text/html; charset=utf-8"),
    script: await asset(output("app.js"), "text/javascript; charset=utf-8"),
    styles: await asset(output("app.css"), "text/css; charset=utf-8"),
  };
}

/**
 * The bundle, built on the first call and shared by every later one. A failed build is not kept, so
 * the next request tries again (and reports the failure again) rather than serving an error forever.
 */
export function consoleAssets(bundle: () => Promise<ConsoleAssets> = bundleConsole): () => Promise<ConsoleAssets> {
  let built: Promise<ConsoleAssets> | undefined;
  return () => {
    built ??= bundle().catch((error: unknown) => {
      built = undefined;
      throw error;
    });
    return built;
  };
}
