import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { needsWarmUp } from "../../gateway/compile/warm-up.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "kiln-splice-"));
  dirs.push(dir);
  return dir;
};

it("warms up a fresh install: no spliced-engine folder, or one without a finished engine", () => {
  expect(needsWarmUp(join(tmpdir(), `kiln-missing-${crypto.randomUUID()}`))).toBe(true);
  const dir = tempDir();
  expect(needsWarmUp(dir)).toBe(true);
  // The engine is written before its JSON: a lone .wasm is a splice that did not finish.
  writeFileSync(join(dir, "abc.wasm"), "");
  expect(needsWarmUp(dir)).toBe(true);
  writeFileSync(join(dir, "abc.json"), "{}");
  expect(needsWarmUp(dir)).toBe(false);
});
