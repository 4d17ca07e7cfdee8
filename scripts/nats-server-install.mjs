// Finding and installing `nats-server`. Plain Node ESM with no dependencies, because
// `npm test` runs it (through ensure-nats-server.mjs) before anything else is known to work;
// infra/nats-server.ts and scripts/dev.ts import the same functions, typed by the JSDoc here.
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { delimiter, join } from "node:path";

/** Where Debian's `nats-server` package puts the binary; /usr/sbin is not on a normal user's PATH. */
export const DEBIAN_NATS_SERVER = "/usr/sbin/nats-server";

/** @param {string} path */
const isExecutableFile = (path) => {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/**
 * The nats-server binary to run: `KILN_NATS_SERVER` if set, else the first `nats-server` on PATH,
 * else Debian's /usr/sbin/nats-server. `undefined` when none is an executable file (an explicit
 * `KILN_NATS_SERVER` that is not executable does not fall back: the user asked for that one).
 * @param {Record<string, string | undefined>} [env]
 * @returns {string | undefined}
 */
export function findNatsServer(env = process.env) {
  const explicit = env.KILN_NATS_SERVER;
  if (explicit) return isExecutableFile(explicit) ? explicit : undefined;
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, "nats-server");
    if (isExecutableFile(candidate)) return candidate;
  }
  return isExecutableFile(DEBIAN_NATS_SERVER) ? DEBIAN_NATS_SERVER : undefined;
}

/**
 * One line telling a person how to get a nats-server, worded for why it was not found.
 * @param {Record<string, string | undefined>} [env]
 * @returns {string}
 */
export function natsServerInstallHint(env = process.env) {
  if (env.KILN_NATS_SERVER) {
    return `KILN_NATS_SERVER='${env.KILN_NATS_SERVER}' is not an executable file: point it at a nats-server binary, or unset it and run \`sudo apt-get install -y nats-server\`.`;
  }
  return "nats-server not found (looked at KILN_NATS_SERVER, PATH and /usr/sbin): install it with `sudo apt-get install -y nats-server` (Debian/Ubuntu), or set KILN_NATS_SERVER=/path/to/nats-server, or set KILN_NATS_URL to use an existing NATS with JetStream.";
}

/**
 * What `ensureNatsServer` returns.
 * @typedef {{ readonly ok: true; readonly path: string; readonly installed: boolean }
 *   | { readonly ok: false; readonly message: string }} EnsureNatsServerResult
 */

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;
const isDebianLike = () => existsSync("/etc/debian_version") && isExecutableFile("/usr/bin/apt-get");

/**
 * Finds nats-server, installing Debian's package first when it is missing and we are root on a
 * Debian-like system. Never throws: returns the path, or a one-line message saying what to do.
 * @param {{ env?: Record<string, string | undefined>, log?: (line: string) => void }} [options]
 * @returns {EnsureNatsServerResult}
 */
export function ensureNatsServer({ env = process.env, log = (line) => console.error(line) } = {}) {
  const found = findNatsServer(env);
  if (found) return { ok: true, path: found, installed: false };
  // An explicit but broken KILN_NATS_SERVER is a configuration mistake; installing would hide it.
  if (env.KILN_NATS_SERVER || !isRoot() || !isDebianLike()) {
    return { ok: false, message: natsServerInstallHint(env) };
  }
  log("nats-server not found; installing Debian's package (apt-get install -y nats-server)…");
  const aptEnv = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [
    ["update", "-qq"],
    ["install", "-y", "-qq", "nats-server"],
  ]) {
    const result = spawnSync("apt-get", args, { stdio: "inherit", env: aptEnv });
    if (result.status !== 0) {
      const why = result.error ? result.error.message : `exit code ${result.status ?? result.signal}`;
      return { ok: false, message: `\`apt-get ${args.join(" ")}\` failed (${why}); ${natsServerInstallHint(env)}` };
    }
  }
  const installed = findNatsServer(env);
  return installed
    ? { ok: true, path: installed, installed: true }
    : { ok: false, message: `apt-get installed nats-server but it was not found afterwards; ${natsServerInstallHint(env)}` };
}
