import { describe, expect, it } from "vitest";
import { sourceVersion, VERSION_HEX_CHARS } from "../../gateway/compile/version.ts";

const files = { "index.ts": "export class A {}\n", "lib/b.ts": "export const b = 1;\n" };

describe("sourceVersion", () => {
  it("is a stable hex hash of the source and the toolchain", async () => {
    const version = await sourceVersion({ files, entry: "index.ts" }, "source");
    expect(version).toMatch(new RegExp(`^[0-9a-f]{${VERSION_HEX_CHARS}}$`));
    expect(await sourceVersion({ files, entry: "index.ts" }, "source")).toBe(version);
  });

  it("ignores the order of files and './' prefixes", async () => {
    const a = await sourceVersion({ files, entry: "index.ts" }, "source");
    const b = await sourceVersion({ files: { "./lib/b.ts": files["lib/b.ts"], "./index.ts": files["index.ts"] }, entry: "./index.ts" }, "source");
    expect(b).toBe(a);
  });

  it("changes with any file's content, any path and the entry", async () => {
    const base = await sourceVersion({ files, entry: "index.ts" }, "source");
    const edited = await sourceVersion({ files: { ...files, "lib/b.ts": "export const b = 2;\n" }, entry: "index.ts" }, "source");
    const moved = await sourceVersion({ files: { "index.ts": files["index.ts"], "lib/c.ts": files["lib/b.ts"] }, entry: "index.ts" }, "source");
    const entry = await sourceVersion({ files, entry: "lib/b.ts" }, "source");
    expect(new Set([base, edited, moved, entry]).size).toBe(4);
  });

  it("hashes uploaded components by their bytes, apart from sources", async () => {
    const bytes = new Uint8Array([0, 97, 115, 109, 13, 0, 1, 0]);
    const version = await sourceVersion(bytes, "wasm");
    expect(await sourceVersion(new Uint8Array(bytes), "wasm")).toBe(version);
    expect(await sourceVersion(new Uint8Array([...bytes, 0]), "wasm")).not.toBe(version);
  });
});
