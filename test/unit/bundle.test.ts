import { describe, expect, it } from "vitest";
import { bundleWorkflow } from "../../gateway/compile/bundle.ts";
import { CompileError } from "../../gateway/compile/errors.ts";
import { compileErrorOf } from "../helpers/compile-error.ts";
import type { WorkflowSource } from "../../gateway/compile/types.ts";

const WORKFLOW = `import { WorkflowEntrypoint, type WorkflowStep } from "kiln:workflow";
export class Flow extends WorkflowEntrypoint {
  async run(_event: unknown, step: WorkflowStep) {
    return step.do("one", async () => 1);
  }
}
`;

const bundleError = (source: WorkflowSource): Promise<CompileError> => compileErrorOf(bundleWorkflow(source));

describe("bundleWorkflow", () => {
  it("bundles TypeScript with generics, type-only imports and relative files into one ES module", async () => {
    const bundle = await bundleWorkflow({
      entry: "index.ts",
      files: {
        "index.ts": `import { WorkflowEntrypoint } from "kiln:workflow";
import type { WorkflowStep } from "kiln:workflow";
import { double, type Pair } from "./lib/math.js";
import config from "./config.json";
export class Flow<T extends Pair = Pair> extends WorkflowEntrypoint {
  async run(_event: unknown, step: WorkflowStep) {
    return step.do("one", async () => double(config.n) as unknown as T);
  }
}
`,
        "lib/math.ts": `export type Pair = [number, number];\nexport const double = <N extends number>(n: N): number => n * 2;\n`,
        "config.json": `{ "n": 21 }`,
      },
    });
    expect(bundle.code).toContain("export {");
    expect(bundle.code).toContain("activate");
    expect(bundle.code).toMatch(/from "kiln:workflow\/engine@0\.2\.0"/);
    expect(bundle.warnings).toEqual([]);
    const map = JSON.parse(bundle.sourceMap) as { sources: string[] };
    expect(map.sources).toEqual(expect.arrayContaining(["index.ts", "lib/math.ts", "config.json", "kiln:sdk/activate.ts"]));
    expect(map.sources.some((source) => source.startsWith("/") || source.includes(".."))).toBe(false);
  });

  it("keeps the bundle small: contract schemas and zod are not pulled into tenant code", async () => {
    const bundle = await bundleWorkflow({ entry: "index.ts", files: { "index.ts": WORKFLOW } });
    expect(bundle.code).not.toContain("zod");
    expect(bundle.code.length).toBeLessThan(100_000);
  });

  it("accepts cloudflare:workers as an alias of kiln:workflow", async () => {
    const source = WORKFLOW.replace('"kiln:workflow"', '"cloudflare:workers"');
    await expect(bundleWorkflow({ entry: "index.ts", files: { "index.ts": source } })).resolves.toMatchObject({ warnings: [] });
  });

  it("refuses every forbidden import at once, pointing at each import in the tenant's file", async () => {
    const error = await bundleError({
      entry: "index.ts",
      files: {
        "index.ts": `import "./lib/util.ts";\nimport { readFileSync } from "node:fs";\nexport const x = readFileSync;\n`,
        "lib/util.ts": `import lodash from "lodash";\n  import * as os from "os";\nimport("https://example.com/x.js");\nexport const y = [lodash, os];\n`,
      },
    });
    expect(error.code).toBe("forbidden_import");
    expect(error.errors).toHaveLength(4);
    expect(error.errors).toEqual(
      expect.arrayContaining([
        {
          file: "index.ts",
          line: 2,
          column: 30,
          message: "import 'node:fs' is not allowed: workflows may import only relative files and 'kiln:workflow'",
        },
        expect.objectContaining({ file: "lib/util.ts", line: 1, column: 20, message: expect.stringContaining("import 'lodash' is not allowed") }),
        expect.objectContaining({ file: "lib/util.ts", line: 2, column: 23, message: expect.stringContaining("import 'os' is not allowed") }),
        expect.objectContaining({ file: "lib/util.ts", line: 3, column: 8, message: expect.stringContaining("https://example.com/x.js") }),
      ]),
    );
  });

  it("does not let tenant code import the world's raw interfaces", async () => {
    const error = await bundleError({
      entry: "index.ts",
      files: { "index.ts": `import { call } from "kiln:workflow/engine@0.2.0";\nexport const x = call;\n` },
    });
    expect(error.code).toBe("forbidden_import");
    expect(error.errors[0]).toMatchObject({ file: "index.ts", line: 1, column: 22 });
  });

  it("reports a missing relative file and a '..' escape as compile errors", async () => {
    const error = await bundleError({
      entry: "index.ts",
      files: { "index.ts": `import { a } from "./missing";\nimport { b } from "../outside.ts";\nexport const x = [a, b];\n` },
    });
    expect(error.code).toBe("compile_failed");
    expect(error.errors).toEqual([
      expect.objectContaining({ file: "index.ts", line: 1, column: 19, message: expect.stringContaining("cannot find './missing'") }),
      expect.objectContaining({ file: "index.ts", line: 2, column: 19, message: expect.stringContaining("escapes the workflow's root") }),
    ]);
  });

  it("reports syntax errors with 1-based line and column in the right file", async () => {
    const error = await bundleError({
      entry: "index.ts",
      files: { "index.ts": `import "./b.ts";\nexport const a = 1;\n`, "b.ts": `const ok = 1;\n\nconst broken = (;\n` },
    });
    expect(error.code).toBe("compile_failed");
    expect(error.errors).toEqual([{ file: "b.ts", line: 3, column: 17, message: 'Unexpected ";"' }]);
    expect(error.message).toBe('b.ts:3:17: Unexpected ";"');
  });

  it("refuses absolute paths, '..' paths and an entry that is not among the files", async () => {
    const bad = await bundleError({ entry: "main.ts", files: { "/etc/passwd.ts": "", "../up.ts": "", "ok.ts": "" } });
    expect(bad.errors.map((e) => e.message)).toEqual([expect.stringContaining("is absolute"), expect.stringContaining("escapes the workflow's root")]);
    const missing = await bundleError({ entry: "main.ts", files: { "index.ts": WORKFLOW } });
    expect(missing.errors[0]?.message).toContain("the entry 'main.ts' is not among the submitted files");
  });

  it("refuses an entry that exports nothing", async () => {
    const error = await bundleError({ entry: "index.ts", files: { "index.ts": "const a = 1;\n" } });
    expect(error.code).toBe("compile_failed");
    expect(error.errors[0]?.message).toContain("exports nothing");
  });

  it("warns that a Worker default export beside a workflow class is ignored", async () => {
    const source = `${WORKFLOW}\nexport default { async fetch() { return new Response("hi"); } };\n`;
    const bundle = await bundleWorkflow({ entry: "./index.ts", files: { "./index.ts": source } });
    expect(bundle.warnings).toEqual(["the default export is ignored: Kiln runs the exported WorkflowEntrypoint class 'Flow'"]);
  });

  it("does not warn when the default export is the workflow class", async () => {
    const source = `${WORKFLOW.replace("export class Flow", "export default class Flow")}\nexport const helper = 1;\n`;
    const bundle = await bundleWorkflow({ entry: "index.ts", files: { "index.ts": source } });
    expect(bundle.warnings).toEqual([]);
  });
});
