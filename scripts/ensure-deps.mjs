// Runs `npm install` when node_modules is missing or older than the manifests, so `npm run dev`
// and `npm test` work right after `git clone`. A fast no-op otherwise (a few stat calls).
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
/** @param {string} file relative to the repository root */
const mtimeMs = (file) => {
  try {
    return statSync(join(root, file)).mtimeMs;
  } catch {
    return undefined;
  }
};

// npm writes node_modules/.package-lock.json at the end of every successful install.
const installedAt = mtimeMs("node_modules/.package-lock.json");
const manifestAt = Math.max(mtimeMs("package.json") ?? 0, mtimeMs("package-lock.json") ?? 0);

if (installedAt === undefined || installedAt < manifestAt) {
  console.error(installedAt === undefined ? "node_modules missing; running npm install…" : "package.json changed; running npm install…");
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const result = spawnSync(npm, ["install", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" });
  if (result.status !== 0) {
    console.error(`npm install failed (${result.error?.message ?? `exit code ${result.status ?? result.signal}`})`);
    process.exit(result.status || 1);
  }
}
