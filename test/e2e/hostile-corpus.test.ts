/**
 * Hostile tenant code (test/fixtures/hostile.ts) fails cleanly, with a message that says what to do,
 * and touches nothing outside its sandbox: memory bombs in and outside steps, deep recursion, a huge
 * step result, reaching for the host's globals, the filesystem and another tenant's secrets; then a
 * long run of sandboxes killed for memory, after which the executor's memory and threads are back.
 * Each beside a well-behaved tenant whose instance completes. No timings: those are the bench's.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../helpers/eventually.ts";
import { fixture, isFinished, startKiln, type JsonBody, type TenantClient, type TestKiln } from "../helpers/kiln.ts";
import { processStatus } from "../helpers/process-status.ts";
import { runWellBehaved, setLimits } from "../helpers/tenant-limits.ts";

const MiB = 1024 * 1024;
/** The bombing tenant's `limits.memoryBytes`: twice the 9 MiB a componentize-js guest starts with. */
const BOMBER_MEMORY_BYTES = 32 * MiB;
/**
 * Sandboxes killed for memory in a row in the last test. 1,000 as the issue asks; each instance is one
 * bombing activation and one replay: ~3 minutes on the project's loaded 2-core machine.
 */
const HOSTILE_ACTIVATIONS = Number(process.env.KILN_HOSTILE_ACTIVATIONS ?? 1_000);
const MAX_BATCH = 100;

async function deployHostile(client: TenantClient): Promise<void> {
  const deployed = await client.deploy("hostile", await fixture("hostile.ts"));
  expect(deployed.status).toBe(201);
}

/** Runs one instance of the hostile fixture to its end. */
async function runHostile(client: TenantClient, params: Record<string, unknown>): Promise<JsonBody> {
  const { id } = await client.create("hostile", { params });
  return client.waitFor("hostile", id, isFinished, 120_000);
}

const stepNamed = (view: JsonBody, name: string) => view.steps.find((step: { name: string }) => step.name === name);

describe("hostile corpus", () => {
  let kiln: TestKiln;
  let bomber: TenantClient;
  let calm: TenantClient;
  let victim: TenantClient;
  let snoop: TenantClient;
  const wellBehaved = async () => expect((await runWellBehaved(calm, "hostile")).output).toBe(3);

  beforeAll(async () => {
    kiln = await startKiln();
    [bomber, calm, victim, snoop] = await Promise.all([kiln.tenant("bomber"), kiln.tenant("calm"), kiln.tenant("victim"), kiln.tenant("snoop")]);
    await Promise.all([bomber, calm, victim, snoop].map(deployHostile));
    // Creates as fast as the test sends them: the last test creates 1,000 instances in batches.
    await setLimits(kiln, bomber, "hostile", { memoryBytes: BOMBER_MEMORY_BYTES, createsPerSecond: 100_000 });
  }, 300_000);
  afterAll(async () => kiln?.close());

  describe("memory", () => {
    it("fails each attempt of a step that bombs memory with MemoryLimitError and applies the step's retries", async () => {
      const view = await runHostile(bomber, { scenario: "bomb-in-step" });
      expect(view.status).toBe("complete");
      expect(view.output.caught).toMatchObject({ name: "MemoryLimitError" });
      expect(view.output.caught.message).toContain('step "bomb"');
      expect(view.output.caught.message).toContain("32 MiB");
      expect(view.output.caught.message).toContain("limits.memoryBytes");
      // retries.limit 1: the first attempt and one retry, each in a sandbox of its own.
      expect(stepNamed(view, "bomb")).toMatchObject({ status: "failed", attempts: 2 });
      await wellBehaved();
    });

    it("errors an instance that bombs memory outside a step with MemoryLimitError, after retries in fresh sandboxes", async () => {
      const { id } = await bomber.create("hostile", { params: { scenario: "bomb-outside" } });
      const retrying = await bomber.waitFor("hostile", id, (view) => view.memoryLimit !== undefined || isFinished(view));
      expect(retrying.memoryLimit).toMatchObject({ failures: expect.any(Number), message: expect.stringContaining("limits.memoryBytes") });
      await wellBehaved();
      const view = await bomber.waitFor("hostile", id, isFinished);
      expect(view.status).toBe("errored");
      expect(view.error).toMatchObject({ name: "MemoryLimitError", code: "limit_exceeded" });
      expect(view.error.message).toContain("outside step bodies");
      expect(view.error.message).toContain("32 MiB");
      // The step before the bomb ran once: the retried activations replayed it.
      expect(stepNamed(view, "before")).toMatchObject({ status: "complete", attempts: 1 });
      const engineLines = (await bomber.logs("hostile", id)).filter((line) => line.source === "engine");
      expect(engineLines.some((line) => line.message.includes("limits.memoryBytes"))).toBe(true);
    });

    it("lets a tenant with the default limit use more memory than the bomber's limit", async () => {
      // The bomb still ends, at the executor's 256 MiB: the default is a cap too.
      const view = await runHostile(calm, { scenario: "bomb-in-step", retries: 0 });
      expect(view.output.caught).toMatchObject({ name: "MemoryLimitError" });
      expect(view.output.caught.message).toContain("256 MiB");
    });
  });

  describe("stack and results", () => {
    it("fails a step that recurses without end with a clear error, and applies its retries", async () => {
      const view = await runHostile(bomber, { scenario: "recurse-in-step" });
      expect(view.status).toBe("complete");
      expect(view.output.caught).toMatchObject({ name: "InternalError", message: "too much recursion" });
      expect(stepNamed(view, "recurse")).toMatchObject({ status: "failed", attempts: 2 });
    });

    it("errors an instance that recurses without end outside a step, and the executor serves on", async () => {
      const view = await runHostile(bomber, { scenario: "recurse-outside" });
      expect(view.status).toBe("errored");
      expect(view.error).toMatchObject({ name: "InternalError", message: "too much recursion" });
      await wellBehaved();
    });

    it("fails a step whose result is over 1 MiB, naming the limit", async () => {
      const view = await runHostile(calm, { scenario: "huge-result" });
      expect(view.output.caught).toMatchObject({ name: "StepUsageError" });
      expect(view.output.caught.message).toContain("the limit is 1048576");
      expect(stepNamed(view, "huge")).toMatchObject({ status: "failed" });
    });
  });

  describe("reaching out of the sandbox", () => {
    it("finds no process, require, Deno, worker data or environment of the host", async () => {
      const view = await runHostile(calm, { scenario: "reach-out" });
      expect(view.status).toBe("complete");
      expect(view.output.globals).toEqual({
        process: "undefined",
        require: "undefined",
        Deno: "undefined",
        Bun: "undefined",
        module: "undefined",
        functionProcess: "undefined",
        evalRequire: "undefined",
        workerData: "undefined",
      });
      // `this.env` holds the tenant's own settings and secrets only (calm has neither).
      expect(view.output.env).toEqual([]);
    });

    it.each([
      ["a static import", `import { readFileSync } from "node:fs";\nexport default class W { async run() { return readFileSync("/etc/passwd", "utf8"); } }`],
      ["a dynamic import", `export default class W { async run() { const fs = await import("node:fs"); return fs.readdirSync("/"); } }`],
    ])("refuses the filesystem at deploy through %s, naming the import", async (_, source) => {
      const deployed = await calm.deploy("reach-fs", source);
      expect(deployed.status).toBe(422);
      expect(JSON.stringify(deployed.body.errors)).toContain("node:fs");
    });

    it("never shows one tenant's secret to another tenant's code on the same executor, nor its instances over the API", async () => {
      const secret = `victim-secret-${crypto.randomUUID()}`;
      expect((await victim.api("PUT", "/v1/tenants/victim/secrets/SECRET", secret, { "content-type": "text/plain" })).status).toBe(204);
      // The victim's code leaves the secret in its sandbox's globals.
      await eventually("the victim's code has its secret", async () => {
        const view = await runHostile(victim, { scenario: "keep-secret" });
        return view.output === secret.length;
      });
      const { id: victimInstance } = await victim.create("hostile", { params: { scenario: "well-behaved" } });
      const looked = await runHostile(snoop, { scenario: "look-for-secret", needle: secret });
      expect(looked.output).toEqual({ found: false, env: [] });
      expect((await snoop.api("GET", `/v1/tenants/victim/workflows/hostile/instances/${victimInstance}`)).status).toBe(404);
      expect((await snoop.api("GET", "/v1/tenants/victim/secrets")).status).toBe(404);
    });
  });

  describe("many hostile activations", () => {
    it(`kills ${HOSTILE_ACTIVATIONS} memory-bombing sandboxes in a row, after which the executor's memory and threads are back at baseline`, async () => {
      const [executor] = kiln.executors;
      const finished = async () => {
        let count = 0;
        let cursor: string | undefined;
        do {
          const query = `status=complete&limit=1000${cursor === undefined ? "" : `&cursor=${cursor}`}`;
          const page = await bomber.api("GET", `/v1/tenants/bomber/workflows/hostile/instances?${query}`);
          count += page.body.instances.length as number;
          cursor = page.body.cursor as string | undefined;
        } while (cursor !== undefined);
        return count;
      };
      const bombAll = async (prefix: string, count: number) => {
        const before = await finished();
        for (let start = 0; start < count; start += MAX_BATCH) {
          const batch = Array.from({ length: Math.min(MAX_BATCH, count - start) }, (_, i) => ({
            id: `${prefix}-${start + i}`,
            params: { scenario: "bomb-in-step", retries: 0 },
          }));
          expect((await bomber.api("POST", "/v1/tenants/bomber/workflows/hostile/instances/batch", batch)).status).toBe(201);
        }
        await eventually(`${count} bombing instances finish`, async () => (await finished()) - before >= count, 1_800_000, 1_000);
      };
      // The baseline is a warm executor: its sandbox pool, spare workers and caches already filled by
      // the same work, so what is compared afterwards is only what the run leaves behind.
      await bombAll("warm", 20);
      await wellBehaved();
      const baseline = await processStatus(executor!.pid);

      await bombAll("bomb", HOSTILE_ACTIVATIONS);
      const sample = await runHostile(bomber, { scenario: "bomb-in-step", retries: 0 });
      expect(sample.output.caught).toMatchObject({ name: "MemoryLimitError" });
      await wellBehaved();

      // Each bomb took 32 MiB of Wasm memory: kept sandboxes would be gigabytes and a thread each.
      // Bounds with room for a garbage collector's slack, never for what 1,000 sandboxes would hold.
      const rssBoundBytes = baseline.rssBytes + 128 * MiB;
      const threadsBound = baseline.threads + 4;
      let after = await processStatus(executor!.pid);
      await eventually(
        "the executor's memory and threads return to their baseline",
        async () => {
          after = await processStatus(executor!.pid);
          return after.rssBytes <= rssBoundBytes && after.threads <= threadsBound;
        },
        120_000,
        1_000,
      ).catch(() => undefined); // the assertions below say by how much
      const report =
        `after ${HOSTILE_ACTIVATIONS} bombs on ${executor!.description}: RSS ${(baseline.rssBytes / MiB).toFixed(0)} → ${(after.rssBytes / MiB).toFixed(0)} MiB, ` +
        `threads ${baseline.threads} → ${after.threads}`;
      console.info(report);
      expect(after.rssBytes, report).toBeLessThanOrEqual(rssBoundBytes);
      expect(after.threads, report).toBeLessThanOrEqual(threadsBound);
    }, 1_900_000);
  });
});
