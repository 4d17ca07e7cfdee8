/** The `kiln` binary as a script runs it: a child process against a real Kiln, exit codes and output. */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKilnWithKitchenSink, type TenantClient, type TestKiln } from "../helpers/kiln.ts";

const BIN = fileURLToPath(new URL("../../bin/kiln.mjs", import.meta.url));
const SINK = fileURLToPath(new URL("../fixtures/kitchen-sink.ts", import.meta.url));

let kiln: TestKiln;
let acme: TenantClient;
let home: string;

/** Runs `kiln …` with a config dir of its own; never rejects, answers the exit code and both outputs. */
function kilnCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: home };
  for (const name of ["KILN_URL", "KILN_TOKEN", "KILN_TENANT"]) delete env[name];
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  ({ kiln, acme } = await startKilnWithKitchenSink());
  home = await mkdtemp(join(tmpdir(), "kiln-cli-"));
});

afterAll(async () => {
  await kiln?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

describe("the kiln CLI", () => {
  it("refuses a bad command line with exit code 2, and needs a login first", async () => {
    expect((await kilnCli("instances", "frobnicate")).code).toBe(2);
    expect((await kilnCli("run", "sink", "--no-such-option")).code).toBe(2);
    const notLoggedIn = await kilnCli("instances", "list", "sink");
    expect(notLoggedIn.code).toBe(2);
    expect(notLoggedIn.stderr).toContain("kiln login");
    const help = await kilnCli("instances", "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("kiln instances send-event");
  });

  it("logs in, keeping the token readable by its owner only", async () => {
    const refused = await kilnCli("login", "--url", kiln.gateway.url, "--token", "kiln_wrong", "--tenant", "acme");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("unauthorized");
    const login = await kilnCli("login", "--url", kiln.gateway.url, "--token", acme.token, "--tenant", "acme", "--json");
    expect(login.code).toBe(0);
    const path = join(home, "kiln", "config.json");
    expect(JSON.parse(login.stdout)).toMatchObject({ tenant: "acme", config: path });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual({ url: kiln.gateway.url, token: acme.token, tenant: "acme" });
  });

  it("deploys a file, and prints compile errors with file:line:col and a code frame", async () => {
    const deployed = await kilnCli("deploy", SINK, "--name", "sink", "--json");
    expect(deployed.code).toBe(0);
    expect(JSON.parse(deployed.stdout)).toMatchObject({ name: "sink", version: expect.any(String), unchanged: true });

    const broken = join(home, "broken.ts");
    await writeFile(broken, "export default class Broken {\n  async run(event, step) {\n    return { ok: ;\n  }\n}\n");
    const failed = await kilnCli("deploy", broken);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(new RegExp(`${broken.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:3:\\d+: `));
    expect(failed.stderr).toContain("> 3 |     return { ok: ;\n    |                  ^");
  });

  it("deploys a folder as files with an entry, pointing errors at the file on disk", async () => {
    const folder = join(home, "multi");
    await mkdir(folder);
    await writeFile(join(folder, "index.ts"), 'import { helper } from "./helper.ts";\nexport default class Multi { async run() { return helper(); } }\n');
    await writeFile(join(folder, "helper.ts"), "export function helper() {\n  return (;\n}\n");
    const failed = await kilnCli("deploy", folder);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`${join(folder, "helper.ts")}:2:`);
    expect(failed.stderr).toContain("> 2 |   return (;");
    expect(failed.stderr).toContain("error: multi was not deployed");
  });

  it("shows live statuses and finished steps on stderr, and the output on stdout", async () => {
    const ran = await kilnCli("run", "sink", "--params", '{"scenario":"steps","count":2}', "--wait");
    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.stdout)).toMatchObject({ sum: 6 });
    expect(ran.stderr).toMatch(/: complete/);
    expect(ran.stderr).toContain("✓ step 2");
  });

  it("runs an instance to its end with --wait --json, then shows it", async () => {
    const ran = await kilnCli("run", "sink", "--params", '{"scenario":"steps","count":2}', "--id", "cli-1", "--wait", "--json");
    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.stdout)).toMatchObject({ id: "cli-1", status: "complete", output: { sum: 6, instanceId: "cli-1" } });

    const shown = await kilnCli("instances", "show", "sink", "cli-1", "--json");
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: "cli-1", status: "complete", steps: [{ name: "step 1" }, { name: "step 2" }] });
    const human = await kilnCli("instances", "show", "sink", "cli-1");
    expect(human.stdout).toContain("step 2");

    const logs = await kilnCli("instances", "logs", "sink", "cli-1");
    expect(logs.stdout).toContain("body:step 2");
  });

  it("prints live progress without --json, and exits 1 for an instance that errors", async () => {
    const ran = await kilnCli("run", "sink", "--params", '{"scenario":"fail"}', "--wait");
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain("errored");
    expect(ran.stderr).toContain("the account is closed");
  });

  it("doctor checks the gateway and the token", async () => {
    const healthy = await kilnCli("doctor", "--json");
    expect(healthy.code).toBe(0);
    expect(JSON.parse(healthy.stdout)).toMatchObject({
      ok: true,
      checks: [
        { check: "gateway", ok: true },
        { check: "token", ok: true },
      ],
    });
    const badToken = await kilnCli("doctor", "--token", "kiln_wrong");
    expect(badToken.code).toBe(1);
    expect(badToken.stdout).toMatch(/token\s+NO\s+unauthorized/);
  });

  it("answers API errors with exit 1 and the API's code", async () => {
    const missing = await kilnCli("instances", "show", "sink", "nope", "--json");
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stderr)).toMatchObject({ error: { status: 404, code: "not_found" } });
  });

  it("sends events, steers instances and manages tokens", async () => {
    expect((await kilnCli("run", "sink", "--params", '{"scenario":"event"}', "--id", "cli-2")).code).toBe(0);
    expect((await kilnCli("instances", "send-event", "sink", "cli-2", "approved", "--payload", '{"ok":true}')).code).toBe(0);
    expect((await kilnCli("instances", "terminate", "sink", "cli-2")).code).toBe(0);
    await acme.waitFor("sink", "cli-2", (view) => view.status === "terminated");
    const listed = await kilnCli("instances", "list", "sink", "--status", "terminated", "--json");
    expect(JSON.parse(listed.stdout).instances.map((instance: { id: string }) => instance.id)).toContain("cli-2");
    expect((await kilnCli("instances", "delete", "sink", "cli-2")).code).toBe(0);

    const created = await kilnCli("tokens", "create", "ci", "--scope", "deploy", "--scope", "read", "--json");
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ name: "ci", scopes: ["deploy", "read"], token: expect.any(String) });
    expect((await kilnCli("tokens", "list")).stdout).toMatch(/ci\s+deploy,read/);
    expect((await kilnCli("tokens", "revoke", "ci")).code).toBe(0);
  });
});
