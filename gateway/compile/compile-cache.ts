/**
 * An optional on-disk cache of compiled artifacts keyed by version, so a gateway restart (or every
 * gateway of a test run sharing one folder) compiles each distinct source once. Entries are written
 * atomically (temp file + rename), so concurrent processes never read half a file.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { decodeArtifact, encodeArtifact, type Artifact } from "../../contract/artifact.ts";
import type { CompileOutput } from "./types.ts";

export interface CompileCache {
  /** The cached output of `version`, or `undefined` (also for an unreadable entry, which is dropped). */
  get(version: string): Promise<CompileOutput<Artifact> | undefined>;
  put(version: string, output: CompileOutput<Artifact>): Promise<void>;
}

const VERSION_KEY = /^[0-9a-f]{8,64}$/;

function checkVersion(version: string): void {
  if (!VERSION_KEY.test(version)) throw new Error(`illegal version for the compile cache: '${version}'`);
}

async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
  const temp = `${path}.${randomUUID()}.tmp`;
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** A cache in `dir` (created if missing): `<version>.kart` holds the artifact, `<version>.json` the warnings and capabilities. */
export function createCompileCache(dir: string): CompileCache {
  const ready = mkdir(dir, { recursive: true });
  const artifactPath = (version: string) => join(dir, `${version}.kart`);
  const metaPath = (version: string) => join(dir, `${version}.json`);

  return {
    async get(version) {
      checkVersion(version);
      await ready;
      let bytes: Uint8Array;
      try {
        bytes = await readFile(artifactPath(version));
      } catch {
        return undefined;
      }
      try {
        const meta = JSON.parse(await readFile(metaPath(version), "utf8")) as { warnings?: unknown; capabilities?: unknown };
        const strings = (list: unknown) => (Array.isArray(list) ? list.filter((item): item is string => typeof item === "string") : undefined);
        const capabilities = strings(meta.capabilities);
        // An entry from before capabilities were recorded is a miss: compiling again says what it imports.
        if (capabilities === undefined) return undefined;
        return { artifact: decodeArtifact(bytes), warnings: strings(meta.warnings) ?? [], capabilities };
      } catch {
        // A damaged entry is only a cache miss; remove it so the next compile replaces it.
        await Promise.all([rm(artifactPath(version), { force: true }), rm(metaPath(version), { force: true })]);
        return undefined;
      }
    },
    async put(version, output) {
      checkVersion(version);
      await ready;
      // The artifact goes last: its presence is what makes the entry visible to `get`.
      await writeAtomically(metaPath(version), JSON.stringify({ warnings: output.warnings, capabilities: output.capabilities }));
      await writeAtomically(artifactPath(version), encodeArtifact(output.artifact));
    },
  };
}
