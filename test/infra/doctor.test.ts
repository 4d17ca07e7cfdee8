import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { AckPolicy } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { Buckets, Keys, Streams, workConsumer } from "../../contract/mod.ts";
import type { Drift } from "../../infra/doctor/mod.ts";
import { openKilnResources } from "../../infra/kiln-resources.ts";
import { nanos } from "../../infra/nats-duration.ts";
import { startTestNats } from "../helpers/nats.ts";

const DOCTOR = fileURLToPath(new URL("../../scripts/doctor.ts", import.meta.url));

interface DoctorRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run doctor` as an operator runs it: its own process, configured by the environment. */
function runDoctor(env: Record<string, string>, args: string[] = []): Promise<DoctorRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), DOCTOR, ...args], { env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (exitCode) => resolve({ exitCode, stdout, stderr }));
  });
}

describe("npm run doctor", () => {
  it(
    "passes a server Kiln set up, then reports each drift with its fix and exits 1: bucket deleted, max_age changed, consumer deleted, ack_wait changed, a stray consumer",
    { timeout: 60_000 },
    async () => {
      await using nats = await startTestNats();
      const resources = await openKilnResources(await nats.connect(), { replicas: 1, workAckWaitMs: 30_000 });
      for (const tenant of ["acme", "beta"]) {
        await resources.registry.put(Keys.tenant(tenant), "{}");
        await resources.ensureWorkConsumer(tenant);
      }
      // Both servers of a comma-separated list are tried, as the services do; the second is down.
      const env = { KILN_NATS_URL: `${nats.url},nats://127.0.0.1:1`, KILN_REPLICAS: "1", KILN_WORK_ACK_WAIT_MS: "30000" };

      const healthy = await runDoctor(env, ["--json"]);
      expect(healthy.stderr).toBe("");
      expect(healthy.exitCode).toBe(0);
      const report = JSON.parse(healthy.stdout) as { healthy: boolean; tenants: string[]; checked: string[]; drifts: Drift[] };
      expect(report).toMatchObject({ healthy: true, tenants: ["acme", "beta"], drifts: [] });
      expect(report.checked).toEqual(
        expect.arrayContaining(["stream KILN_WORK", "KV bucket kiln_quotas", "object store kiln_artifacts", "consumer KILN_WORK/kiln-work-beta"]),
      );

      const { jsm } = resources;
      await jsm.streams.delete(`KV_${Buckets.quotas}`);
      const logs = await jsm.streams.info(Streams.logs);
      await jsm.streams.update(Streams.logs, { ...logs.config, max_age: nanos(3_600_000) });
      await jsm.consumers.delete(Streams.work, workConsumer("acme"));
      await jsm.consumers.update(Streams.work, workConsumer("beta"), { ack_wait: nanos(5_000) });
      await jsm.consumers.add(Streams.work, { durable_name: "stray", filter_subject: "kiln.work.nobody.>", ack_policy: AckPolicy.Explicit });

      const drifted = await runDoctor(env, ["--json"]);
      expect(drifted.exitCode).toBe(1);
      const { healthy: ok, drifts } = JSON.parse(drifted.stdout) as { healthy: boolean; drifts: Drift[] };
      expect(ok).toBe(false);
      expect(drifts).toEqual([
        { resource: "stream KILN_LOGS", setting: "max_age", expected: "7d", actual: "1h", fix: "nats stream edit KILN_LOGS --max-age 7d -f" },
        expect.objectContaining({ resource: "KV bucket kiln_quotas", setting: "exists", fix: expect.stringContaining("start a gateway or an executor") }),
        expect.objectContaining({
          resource: "consumer KILN_WORK/kiln-work-acme",
          setting: "exists",
          fix: expect.stringContaining("start or restart an executor"),
        }),
        {
          resource: "consumer KILN_WORK/kiln-work-beta",
          setting: "ack_wait",
          expected: "30s",
          actual: "5s",
          fix: "nats consumer edit KILN_WORK kiln-work-beta --wait 30s -f",
        },
        expect.objectContaining({
          resource: "consumer KILN_WORK/stray",
          setting: "exists",
          expected: "no",
          fix: expect.stringContaining("nats consumer rm KILN_WORK stray -f"),
        }),
      ]);

      const text = await runDoctor(env);
      expect(text.exitCode).toBe(1);
      expect(text.stdout).toContain("DRIFT stream KILN_LOGS\n        max_age: expected 7d, found 1h\n        fix: nats stream edit KILN_LOGS --max-age 7d -f");
      expect(text.stdout).toContain("5 drift(s)");

      // What the services do at start-up brings back what is missing; the edited settings stay for the operator.
      const again = await openKilnResources(await nats.connect(), { replicas: 1 });
      await again.ensureWorkConsumer("acme");
      const after = JSON.parse((await runDoctor(env, ["--json"])).stdout) as { drifts: Drift[] };
      expect(after.drifts.map((drift) => `${drift.resource} ${drift.setting}`)).toEqual([
        "stream KILN_LOGS max_age",
        "consumer KILN_WORK/kiln-work-beta ack_wait",
        "consumer KILN_WORK/stray exists",
      ]);
    },
  );

  it("exits 2 with advice when KILN_NATS_URL is not set or NATS cannot be reached", { timeout: 30_000 }, async () => {
    const unset = await runDoctor({ KILN_NATS_URL: "" });
    expect(unset.exitCode).toBe(2);
    expect(unset.stderr).toContain("KILN_NATS_URL is not set");
    const unreachable = await runDoctor({ KILN_NATS_URL: "nats://127.0.0.1:1" }, ["--json"]);
    expect(unreachable.exitCode).toBe(2);
    expect(JSON.parse(unreachable.stdout)).toMatchObject({ healthy: false, error: expect.stringContaining("check KILN_NATS_URL") });
  });
});
