/**
 * Tenant settings (admin only, validated, followed live by executors), secrets (sealed at rest,
 * write-only, in `this.env`, redacted from logs and errors) and the limits enforced today, on a real
 * nats-server and a real compiled component.
 */
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Buckets, Keys } from "../../contract/mod.ts";
import { createSecretsCipher, parseSecretsKey, sealedSecretSchema } from "../../infra/secrets-cipher.ts";
import { eventually } from "../helpers/eventually.ts";
import { fixture, isFinished, startKiln, TEST_SECRETS_KEY, type JsonBody, type TenantClient, type TestKiln } from "../helpers/kiln.ts";

const SECRET = "sk-live-4f3c2b1a0987";

let kiln: TestKiln;
let acme: TenantClient;
let source: string;
let nc: NatsConnection;

beforeAll(async () => {
  kiln = await startKiln();
  nc = await kiln.nats.connect();
  acme = await kiln.tenant("acme");
  source = await fixture("env-secrets.ts");
  const deployed = await acme.deploy("env", source);
  if (deployed.status !== 201) throw new Error(`deploying env-secrets.ts: ${deployed.status} ${JSON.stringify(deployed.body)}`);
});

afterAll(async () => {
  await kiln?.close();
});

const settingsPath = (tenant: string) => `/v1/tenants/${tenant}/settings`;
const secretPath = (tenant: string, name = "") => `/v1/tenants/${tenant}/secrets${name ? `/${name}` : ""}`;
/** The names `this.env` holds in a new instance of the tenant's env workflow. */
const envNames = async (client: TenantClient) => ((await runEnv(client, { scenario: "env" })).output as { names?: string[] }).names ?? [];
const runEnv = async (client: TenantClient, params: Record<string, unknown>) => {
  const { id } = await client.create("env", { params });
  return client.waitFor("env", id, isFinished);
};
/** Every log line published for the tenant from now on, as NATS carries it. */
const collectLogs = async (tenant: string) => {
  const lines: string[] = [];
  const subscription = nc.subscribe(`kiln.logs.${tenant}.>`, { callback: (_, message) => void lines.push(message.string()) });
  await nc.flush();
  return { lines, stop: () => subscription.unsubscribe() };
};

describe("settings", () => {
  it("refuses invalid settings with a 400 naming the field, unknown fields included", async () => {
    const cases: [unknown, string][] = [
      [{ limits: { concurrency: 0 } }, "'limits.concurrency'"],
      [{ limits: { stepTimeoutMs: 1000 } }, "'limits.stepTimeoutMs': unknown field"],
      [{ egressAllowList: ["api.stripe.com"] }, "'egressAllowList': unknown field"],
      [{ egress: { allow: ["https://api.stripe.com/"] } }, "'egress.allow.0'"],
      [{ env: { vars: { "1REGION": "eu" } } }, "'env.vars.1REGION'"],
      [{ env: { vars: { REGION: 1 } } }, "'env.vars.REGION'"],
      [{ retention: { successRetention: "90 days" } }, "'retention.successRetention': successRetention may be at most 30 days"],
      [{ retention: { errorRetention: true } }, "'retention.errorRetention': expected a duration"],
    ];
    for (const [body, named] of cases) {
      const answer = await kiln.adminApi("PUT", settingsPath("acme"), body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error.code).toBe("bad_request");
      expect(answer.body.error.message).toContain(named);
    }
    expect((await kiln.adminApi("PUT", settingsPath("acme"), "{not json", { "content-type": "application/json" })).status).toBe(400);
  });

  it("round-trips the design's settings document, and answers {} before any are set", async () => {
    const globex = await kiln.tenant("globex");
    expect(await kiln.adminApi("GET", settingsPath(globex.id))).toEqual({ status: 200, body: {} });
    const settings = {
      egress: { allow: ["api.stripe.com", "*.example.com", "127.0.0.1:8080"] },
      env: { vars: { REGION: "eu" } },
      limits: {
        concurrency: 100,
        maxInstances: 1000000,
        createsPerSecond: 300,
        runCpuMs: 5000,
        stepCpuMs: 30000,
        stepTimeoutMaxMs: 600000,
        memoryBytes: 268435456,
        sourceBytes: 4194304,
        fetchResponseBytes: 8388608,
        logLinesPerActivation: 1000,
      },
      retention: { successRetention: "7 days", errorRetention: "7 days" },
    };
    expect(await kiln.adminApi("PUT", settingsPath(globex.id), settings)).toEqual({ status: 200, body: settings });
    expect(await kiln.adminApi("GET", settingsPath(globex.id))).toEqual({ status: 200, body: settings });
    expect((await kiln.adminApi("PUT", settingsPath("nobody"), {})).status).toBe(404);
  });

  it("are the admin's alone: a tenant token can neither read nor set its own (404, like every admin route)", async () => {
    const initech = await kiln.tenant("initech");
    await kiln.adminApi("PUT", settingsPath(initech.id), { limits: { sourceBytes: 2048 } });
    const set = await initech.api("PUT", settingsPath(initech.id), { limits: { sourceBytes: 64 * 1024 * 1024 } });
    expect(set.status).toBe(404);
    expect((await initech.api("GET", settingsPath(initech.id))).status).toBe(404);
    expect((await acme.api("GET", settingsPath(initech.id))).status).toBe(404);
    expect((await kiln.adminApi("GET", settingsPath(initech.id))).body).toEqual({ limits: { sourceBytes: 2048 } });
  });

  it("reach a running executor: an env var change applies to the next instance without a restart", async () => {
    const region = async () => ((await runEnv(acme, { scenario: "env" })).output as { region?: string }).region;
    expect((await kiln.adminApi("PUT", settingsPath("acme"), { env: { vars: { REGION: "eu" } } })).status).toBe(200);
    await eventually("REGION=eu reaches the executor", async () => (await region()) === "eu");
    expect((await kiln.adminApi("PUT", settingsPath("acme"), { env: { vars: { REGION: "us" } } })).status).toBe(200);
    // How soon (the design says within a second) is the benchmark's to measure; here: without a restart.
    await eventually("REGION=us reaches the executor", async () => (await region()) === "us");
  });
});

describe("secrets", () => {
  it("reach tenant code as this.env.NAME, with the value redacted from published log lines", async () => {
    expect((await acme.api("PUT", secretPath("acme", "API_KEY"), SECRET, { "content-type": "text/plain" })).status).toBe(204);
    await eventually("the secret reaches the executor", async () => (await envNames(acme)).includes("API_KEY"));
    const logs = await collectLogs("acme");
    const view = await runEnv(acme, { scenario: "env" });
    logs.stop();
    expect(view.status).toBe("complete");
    expect(view.output).toEqual({ keyLength: SECRET.length, region: "us", names: ["API_KEY", "REGION"] });
    expect(logs.lines.some((line) => line.includes("calling the API with key *** in us"))).toBe(true);
    expect(logs.lines.join("\n")).not.toContain(SECRET);
    const stored = await acme.logs("env", view.id);
    expect(stored.map((line) => line.message)).toContain("calling the API with key *** in us");
    expect(JSON.stringify(view)).not.toContain(SECRET);
  });

  it("are redacted from recorded step errors and the instance's error", async () => {
    const logs = await collectLogs("acme");
    const view = await runEnv(acme, { scenario: "leak-error" });
    logs.stop();
    expect(view.status).toBe("errored");
    expect(view.error.message).toBe("upstream refused key ***");
    const leaky = view.steps.find((step: { name: string }) => step.name === "leaky");
    expect(leaky.error.message).toBe("upstream refused key ***");
    expect(leaky.failedAttempts.map((attempt: { error: { message: string } }) => attempt.error.message)).toEqual([
      "upstream refused key ***",
      "upstream refused key ***",
    ]);
    expect(JSON.stringify(view)).not.toContain(SECRET);
    expect(logs.lines.join("\n")).not.toContain(SECRET);
    // What NATS holds for the instance, not just what the API shows.
    const js = jetstream(nc);
    const kvm = new Kvm(js);
    for (const bucket of [Buckets.instances, Buckets.journal]) {
      const kv = await kvm.open(bucket);
      for await (const key of await kv.keys(`acme.>`)) {
        const entry = await kv.get(key);
        expect(entry?.string() ?? "", `${bucket} ${key}`).not.toContain(SECRET);
      }
    }
  });

  it("are stored sealed: the raw KV value reveals nothing, and opens only with the key", async () => {
    const registry = await new Kvm(jetstream(nc)).open(Buckets.registry);
    const entry = await registry.get(Keys.secret("acme", "API_KEY"));
    const raw = entry!.string();
    expect(raw).not.toContain(SECRET);
    expect(raw).not.toContain(btoa(SECRET));
    const sealed = sealedSecretSchema.parse(JSON.parse(raw));
    const cipher = await createSecretsCipher(parseSecretsKey(TEST_SECRETS_KEY));
    expect(await cipher.open("acme", "API_KEY", sealed)).toBe(SECRET);
  });

  it("list names and update times only, delete, and stay write-only", async () => {
    expect((await acme.api("PUT", secretPath("acme", "OTHER_TOKEN"), "second-value", { "content-type": "text/plain" })).status).toBe(204);
    const listed = await acme.api("GET", secretPath("acme"));
    expect(listed.status).toBe(200);
    expect(listed.body.secrets.map((secret: { name: string }) => secret.name)).toEqual(["API_KEY", "OTHER_TOKEN"]);
    for (const secret of listed.body.secrets) expect(Object.keys(secret).sort()).toEqual(["name", "updatedAt"]);
    expect(JSON.stringify(listed.body)).not.toContain(SECRET);
    // One secret: its name and update time, never its value.
    const one = await acme.api("GET", secretPath("acme", "API_KEY"));
    expect(one.status).toBe(200);
    expect(Object.keys(one.body).sort()).toEqual(["name", "updatedAt"]);
    expect(JSON.stringify(one.body)).not.toContain(SECRET);

    expect((await acme.api("DELETE", secretPath("acme", "API_KEY"))).status).toBe(204);
    expect((await acme.api("DELETE", secretPath("acme", "API_KEY"))).status).toBe(404);
    expect((await acme.api("GET", secretPath("acme", "API_KEY"))).status).toBe(404);
    expect((await acme.api("GET", secretPath("acme"))).body.secrets.map((secret: { name: string }) => secret.name)).toEqual(["OTHER_TOKEN"]);
    await eventually("the deletion reaches the executor", async () => !(await envNames(acme)).includes("API_KEY"));
    expect((await runEnv(acme, { scenario: "env" })).output).toEqual({ keyLength: null, region: "us", names: ["OTHER_TOKEN", "REGION"] });
  });

  it("refuse bad names, empty values and other tenants' tokens", async () => {
    expect((await acme.api("PUT", secretPath("acme", "1BAD"), "x", { "content-type": "text/plain" })).status).toBe(400);
    expect((await acme.api("PUT", secretPath("acme", "EMPTY"), "", { "content-type": "text/plain" })).status).toBe(400);
    const hooli = await kiln.tenant("hooli");
    expect((await hooli.api("GET", secretPath("acme"))).status).toBe(404);
    expect((await hooli.api("PUT", secretPath("acme", "API_KEY"), "x", { "content-type": "text/plain" })).status).toBe(404);
    expect((await hooli.api("DELETE", secretPath("acme", "OTHER_TOKEN"))).status).toBe(404);
  });
});

describe("limits", () => {
  it("refuses source over limits.sourceBytes with a 413 naming the limit", async () => {
    const small = await kiln.tenant("small");
    await kiln.adminApi("PUT", settingsPath(small.id), { limits: { sourceBytes: 1024 } });
    const big = `${source}\n// ${"x".repeat(2048)}\n`;
    for (const answer of [
      await small.deploy("env", big),
      await small.api("PUT", `/v1/tenants/small/workflows/env`, { files: { "index.ts": big }, entry: "index.ts" }),
    ]) {
      expect(answer.status).toBe(413);
      expect(answer.body.error.code).toBe("payload_too_large");
      expect(answer.body.error.message).toContain("limit of 1024 bytes (limits.sourceBytes)");
      expect(answer.body.error.limitBytes).toBe(1024);
    }
  });

  it("fails a step asking for a timeout over limits.stepTimeoutMaxMs, naming the limit, and recovers once it is raised", async () => {
    const strict = await kiln.tenant("strict");
    expect((await strict.deploy("env", source)).status).toBe(201);
    await kiln.adminApi("PUT", settingsPath(strict.id), { limits: { stepTimeoutMaxMs: 60_000 } });
    let refused: JsonBody;
    await eventually("the limit reaches the executor", async () => {
      refused = await runEnv(strict, { scenario: "long-timeout", timeout: "2 minutes" });
      return refused.status === "errored";
    });
    expect(refused.status).toBe("errored");
    expect(refused.error.name).toBe("StepTimeoutLimitError");
    expect(refused.error.message).toContain("over this tenant's limit of 60000 ms (limits.stepTimeoutMaxMs)");
    expect((await runEnv(strict, { scenario: "long-timeout", timeout: "1 minute" })).output).toBe("ran");
    await kiln.adminApi("PUT", settingsPath(strict.id), { limits: { stepTimeoutMaxMs: 3_600_000 } });
    await eventually(
      "the raised limit reaches the executor",
      async () => (await runEnv(strict, { scenario: "long-timeout", timeout: "2 minutes" })).output === "ran",
    );
  });
});
