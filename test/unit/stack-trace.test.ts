import { describe, expect, it } from "vitest";
import { bundleWorkflow } from "../../gateway/compile/bundle.ts";
import { remapStack } from "../../infra/stack-trace.ts";

const INDEX = `import { WorkflowEntrypoint, type WorkflowStep } from "kiln:workflow";
import { fail } from "./lib/fail.ts";

export class Flow extends WorkflowEntrypoint {
  async run(_event: unknown, step: WorkflowStep) {
    await step.do("one", async () => 1);
    return fail("boom");
  }
}
`;
const FAIL = `export function fail(message: string): never {
  const detail = \`failed: \${message}\`;
  throw new Error(detail);
}
`;

/** 1-based line and column of `needle` in `code`, as SpiderMonkey reports a frame there. */
function positionOf(code: string, needle: string): { line: number; column: number } {
  const index = code.indexOf(needle);
  if (index < 0) throw new Error(`'${needle}' not in the bundle`);
  const before = code.slice(0, index).split("\n");
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

describe("remapStack", async () => {
  const bundle = await bundleWorkflow({ entry: "index.ts", files: { "index.ts": INDEX, "lib/fail.ts": FAIL } });
  const artifact = { sourceMap: bundle.sourceMap, bundleFile: "workflow.js" };
  const thrown = positionOf(bundle.code, "new Error(detail)");
  const called = positionOf(bundle.code, 'fail("boom")');
  const sdk = positionOf(bundle.code, "JSON.stringify(result)");
  const stack =
    `fail@workflow.js:${thrown.line}:${thrown.column}\n` +
    `run@workflow.js:${called.line}:${called.column}\n` +
    `activate@workflow.js:${sdk.line}:${sdk.column}\n` +
    `export_activate@/tmp/eb74eeade7bc/sources/initializer.js:141:15\n`;

  it("maps bundle frames to the tenant's files with 1-based line and column", () => {
    expect(remapStack(stack, artifact)).toBe("fail@lib/fail.ts:3:9\nrun@index.ts:7:12\n");
  });

  it("keeps SDK and engine frames when asked, naming SDK files kiln:sdk/…", () => {
    const lines = remapStack(stack, artifact, { keepInternalFrames: true }).trim().split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(/^activate@kiln:sdk\/activate\.ts:\d+:\d+$/);
    expect(lines[3]).toBe("export_activate@/tmp/eb74eeade7bc/sources/initializer.js:141:15");
  });

  it("accepts the bundle file under a folder prefix, as componentize-js may report it", () => {
    const prefixed = stack.replaceAll("@workflow.js:", "@tmp/kiln-compile-1/workflow.js:");
    expect(remapStack(prefixed, artifact)).toBe("fail@lib/fail.ts:3:9\nrun@index.ts:7:12\n");
  });

  it("leaves a stack alone without a source map or with a broken one", () => {
    expect(remapStack(stack, { bundleFile: "component.wasm" })).toBe(stack);
    expect(remapStack(stack, { bundleFile: "workflow.js", sourceMap: "{" })).toBe(stack);
  });

  it("passes through lines that are not frames", () => {
    expect(remapStack(`Error: boom\nrun@workflow.js:${called.line}:${called.column}`, artifact)).toBe("Error: boom\nrun@index.ts:7:12");
  });
});
