import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ARTIFACT_VERSION, type Artifact } from "../../contract/artifact.ts";
import { createCompileCache } from "../../gateway/compile/compile-cache.ts";

const artifact: Artifact = {
  version: ARTIFACT_VERSION,
  glue: "export {}",
  coreModules: { "workflow.core.wasm": new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]) },
  bundleFile: "workflow.js",
  toolchain: "test",
  createdAt: 1,
};
const version = "0123456789abcdef01234567";

describe("createCompileCache", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "kiln-cache-test-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("misses, then returns what was put, across cache instances sharing the folder", async () => {
    const first = createCompileCache(join(dir, "nested"));
    expect(await first.get(version)).toBeUndefined();
    await first.put(version, { artifact, warnings: ["careful"], capabilities: ["logging", "engine", "http"] });
    const second = createCompileCache(join(dir, "nested"));
    expect(await second.get(version)).toEqual({ artifact, warnings: ["careful"], capabilities: ["logging", "engine", "http"] });
    expect((await readdir(join(dir, "nested"))).sort()).toEqual([`${version}.json`, `${version}.kart`]);
  });

  it("treats a damaged entry as a miss and removes it", async () => {
    const cache = createCompileCache(dir);
    await cache.put(version, { artifact, warnings: [], capabilities: [] });
    await writeFile(join(dir, `${version}.kart`), "garbage");
    expect(await cache.get(version)).toBeUndefined();
    expect(await readdir(dir)).toEqual([]);
  });

  it("refuses keys that are not versions", async () => {
    const cache = createCompileCache(dir);
    await expect(cache.get("../etc/passwd")).rejects.toThrow(/illegal version/);
  });
});
