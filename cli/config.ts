/**
 * Where the CLI finds the gateway, the token and the tenant: flags first, then `KILN_URL`,
 * `KILN_TOKEN`, `KILN_TENANT`, then what `kiln login` saved in the user's config dir
 * (`$XDG_CONFIG_HOME/kiln/config.json`, else `~/.config/kiln/config.json`; `%APPDATA%` on Windows).
 * The file holds a token, so it is written readable by its owner only (0600, in a 0700 folder).
 */
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { UsageError } from "./errors.ts";

export interface CliConfig {
  url: string;
  token: string;
  tenant: string;
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env["XDG_CONFIG_HOME"] || (process.platform === "win32" && env["APPDATA"]) || join(homedir(), ".config");
  return join(base, "kiln", "config.json");
}

export async function readSavedConfig(path = configPath()): Promise<Partial<CliConfig>> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as Partial<CliConfig>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}; run kiln login again`);
  }
}

export async function saveConfig(config: CliConfig, path = configPath()): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // `mode` applies only when the file is new; an older file may have been readable by others.
  await chmod(path, 0o600);
}

/** The settings to use, or a usage error saying which is missing and how to give it. */
export async function resolveConfig(flags: { url?: string | undefined; token?: string | undefined; tenant?: string | undefined }): Promise<CliConfig> {
  const saved = await readSavedConfig();
  const env = process.env;
  const url = flags.url ?? (env["KILN_URL"] || undefined) ?? saved.url;
  const token = flags.token ?? (env["KILN_TOKEN"] || undefined) ?? saved.token;
  const tenant = flags.tenant ?? (env["KILN_TENANT"] || undefined) ?? saved.tenant;
  const missing = [url ? "" : "--url (KILN_URL)", token ? "" : "--token (KILN_TOKEN)", tenant ? "" : "--tenant (KILN_TENANT)"].filter(Boolean);
  if (missing.length > 0) throw new UsageError(`not logged in: run kiln login --url URL --token TOKEN --tenant TENANT, or give ${missing.join(", ")}`);
  return { url: url!, token: token!, tenant: tenant! };
}
