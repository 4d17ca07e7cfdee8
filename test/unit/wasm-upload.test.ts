import { parse } from "@bytecodealliance/jco";
import { describe, expect, it } from "vitest";
import type { CompileError } from "../../gateway/compile/errors.ts";
import { compileErrorOf } from "../helpers/compile-error.ts";
import { capabilitiesOf } from "../../gateway/compile/capabilities.ts";
import { parseWorld, transpileUpload, worldProblems } from "../../gateway/compile/wasm-upload.ts";

const uploadError = (bytes: Uint8Array): Promise<CompileError> => compileErrorOf(transpileUpload(bytes));

const KILN_WORLD = `package root:component;

world root {
  import kiln:workflow/logging@0.2.0;
  import kiln:workflow/engine@0.2.0;
  import kiln:workflow/http@0.2.0;

  export activate: func(request: string) -> string;
}
`;

describe("uploaded components", () => {
  it("reads imports and exports of a component's world", () => {
    const world = parseWorld(KILN_WORLD);
    expect(world.imports).toEqual(["kiln:workflow/logging@0.2.0", "kiln:workflow/engine@0.2.0", "kiln:workflow/http@0.2.0"]);
    expect(capabilitiesOf(world.imports)).toEqual(["logging", "engine", "http"]);
    expect([...world.exports]).toEqual([["activate", "func(request: string) -> string"]]);
    expect(worldProblems(world)).toEqual([]);
  });

  it("names every import and export outside the world and a wrong activate export", () => {
    const world = parseWorld(`world root {
  import wasi:filesystem/types@0.2.0;
  import get-secret: func() -> string;
  import kiln:workflow/engine@0.1.0;
  import custom: interface {
    f: func();
  }

  export activate: func(request: list<u8>) -> string;
  export steal: func() -> u32;
  export kiln:workflow/engine@0.2.0;
}
`);
    expect(worldProblems(world).map((problem) => problem.message)).toEqual([
      "the component imports 'wasi:filesystem/types@0.2.0', which the kiln:workflow@0.2.0 world does not grant",
      "the component imports 'get-secret', which the kiln:workflow@0.2.0 world does not grant",
      "the component imports 'kiln:workflow/engine@0.1.0', which the kiln:workflow@0.2.0 world does not grant",
      "the component imports 'custom', which the kiln:workflow@0.2.0 world does not grant",
      "the component exports 'steal: func() -> u32', which the kiln:workflow@0.2.0 world does not define; it exports only 'activate: func(request: string) -> string'",
      "the component exports 'kiln:workflow/engine@0.2.0', which the kiln:workflow@0.2.0 world does not define; it exports only 'activate: func(request: string) -> string'",
      "the component exports 'activate: func(request: list<u8>) -> string', but the world needs 'activate: func(request: string) -> string'",
    ]);
  });

  it("refuses bytes that are not WebAssembly", async () => {
    const error = await uploadError(new TextEncoder().encode("#!/bin/sh\necho hi\n"));
    expect(error.code).toBe("invalid_component");
    expect(error.errors[0]?.message).toContain("not a WebAssembly binary");
  });

  it("refuses a core module with a hint on how to make a component", async () => {
    const error = await uploadError(await parse("(module)"));
    expect(error.code).toBe("invalid_component");
    expect(error.errors[0]?.message).toMatch(/core WebAssembly module, not a component.*wasm-tools component new/);
  });

  it("refuses a real component importing WASI, naming the import", async () => {
    const error = await uploadError(await parse('(component (import "wasi:filesystem/types@0.2.0" (instance)))'));
    expect(error.code).toBe("invalid_component");
    expect(error.errors.map((e) => e.message)).toEqual([
      "the component imports 'wasi:filesystem/types@0.2.0', which the kiln:workflow@0.2.0 world does not grant",
      expect.stringContaining("does not export 'activate"),
    ]);
  });
});
