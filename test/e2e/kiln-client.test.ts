/** The typed client (client/) against a real Kiln: deploy, create, result, events, logs, tokens, secrets. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKilnClient, isKilnApiError, KilnCompileError, KilnInstanceError, type KilnClient, type LogLine } from "../../client/mod.ts";
import { KilnClient as BenchAdmin } from "../../bench/kiln-client.ts";
import { startKilnWithKitchenSink, type TestKiln } from "../helpers/kiln.ts";

let kiln: TestKiln;
let client: KilnClient;
let source: string;

beforeAll(async () => {
  const started = await startKilnWithKitchenSink();
  kiln = started.kiln;
  source = started.source;
  client = started.acme.client;
});

afterAll(async () => {
  await kiln?.close();
});

describe("the kiln client against a real system", () => {
  it("deploys, creates, and result() resolves with the output", async () => {
    const deployed = await client.workflows.deploy("sink", source);
    expect(deployed).toMatchObject({ version: expect.any(String), unchanged: true, capabilities: expect.arrayContaining(["engine"]) });

    const instance = await client.workflow("sink").create({ params: { scenario: "steps", count: 3 } });
    expect(instance.version).toBe(deployed.version);
    expect(await instance.result({ timeoutMs: 60_000 })).toEqual({ sum: 12, instanceId: instance.id });
    const view = await instance.status();
    expect(view).toMatchObject({ status: "complete", workflow: "sink" });
    expect(Date.parse(view.createdAt)).toBeGreaterThan(0);
    expect((await instance.step("step 2", 1)).output).toBe(4);
  });

  it("result() rejects with the instance's error", async () => {
    const instance = await client.workflow("sink").create({ params: { scenario: "fail" } });
    const error = await instance.result({ timeoutMs: 60_000 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KilnInstanceError);
    expect(error).toMatchObject({ status: "errored", error: { message: expect.stringContaining("the account is closed") } });
  });

  it("delivers events and waits through them", async () => {
    const instance = await client.workflow("sink").create({ params: { scenario: "event" } });
    await instance.sendEvent("approved", { ok: true });
    await instance.sendEvent("approved", "twice");
    expect(await instance.result({ timeoutMs: 60_000 })).toEqual({ first: { ok: true }, second: "twice" });
  });

  it("follows an instance's logs as they are written", async () => {
    const instance = await client.workflow("sink").create({ params: { scenario: "steps", count: 3 } });
    const seen: LogLine[] = [];
    for await (const line of instance.logs({ follow: true })) {
      if (line.message.startsWith("body:")) seen.push(line);
      if (seen.length === 3) break;
    }
    expect(seen.map((line) => line.message)).toEqual(["body:step 1", "body:step 2", "body:step 3"]);
    const stored: LogLine[] = [];
    for await (const line of instance.logs()) stored.push(line);
    expect(stored.filter((line) => line.message.startsWith("body:"))).toHaveLength(3);
  });

  it("gives compile errors as KilnCompileError with file, line and column", async () => {
    const error = await client.workflows.deploy("broken", "export default class {\n  run( {\n}\n").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KilnCompileError);
    const diagnostics = (error as KilnCompileError).diagnostics;
    expect(diagnostics[0]).toMatchObject({ file: "index.ts", line: expect.any(Number), column: expect.any(Number) });
    expect((error as KilnCompileError).code).toBe("compile_failed");
  });

  it("lists workflows and instances, manages tokens and secrets", async () => {
    expect((await client.workflows.list()).map((workflow) => workflow.name)).toContain("sink");
    expect((await client.workflows.get("sink")).versions.length).toBeGreaterThan(0);
    const page = await client.workflow("sink").list({ status: "complete", limit: 1 });
    expect(page.instances).toHaveLength(1);
    expect(page.cursor).toEqual(expect.any(String));

    const created = await client.tokens.create("reader", ["read"]);
    const reader = createKilnClient({ url: kiln.gateway.url, token: created.token, tenant: "acme" });
    expect((await reader.workflows.list()).length).toBeGreaterThan(0);
    const forbidden = await reader
      .workflow("sink")
      .create()
      .catch((caught: unknown) => caught);
    expect(isKilnApiError(forbidden) && forbidden.status === 403 && forbidden.code === "forbidden").toBe(true);
    expect((await client.tokens.list()).map((token) => token.name)).toEqual(expect.arrayContaining(["default", "reader"]));
    await client.tokens.revoke("reader");
    await expect(reader.workflows.list()).rejects.toMatchObject({ status: 401, code: "unauthorized" });

    await client.secrets.put("API_KEY", "s3cret");
    expect((await client.secrets.list()).map((secret) => secret.name)).toEqual(["API_KEY"]);
    await client.secrets.delete("API_KEY");
    await expect(client.secrets.delete("API_KEY")).rejects.toMatchObject({ status: 404, code: "not_found" });
  });

  it("creates a batch, terminates and deletes", async () => {
    const results = await client.workflow("sink").createBatch([
      { id: "b1", params: { scenario: "event" } },
      { id: "b2", params: { scenario: "event" } },
    ]);
    expect(results.map((result) => result.id)).toEqual(["b1", "b2"]);
    const b1 = client.workflow("sink").instance("b1");
    await b1.terminate();
    await expect(b1.result({ timeoutMs: 30_000 })).rejects.toMatchObject({ status: "terminated" });
    await b1.delete();
    await expect(b1.status()).rejects.toMatchObject({ status: 404, code: "not_found" });
    await client.workflow("sink").instance("b2").delete({ force: true });
  });

  it("serves the bench's client, which reads the wire's ISO times", async () => {
    const bench = await new BenchAdmin(kiln.gateway.url, kiln.adminToken).createTenant("bench");
    await bench.deploy("sink", source);
    await bench.create("sink", "b-1", { scenario: "steps", count: 1 });
    await bench.client.workflow("sink").instance("b-1").result({ timeoutMs: 60_000 });
    const view = await bench.get("sink", "b-1");
    expect(typeof view.createdAt).toBe("string");
    expect(Date.parse(view.steps[0]!.completedAt!)).toBeGreaterThanOrEqual(Date.parse(view.createdAt));
    expect((await bench.logs("sink", "b-1")).map((line) => line.message)).toContain("body:step 1");
    await expect(bench.get("sink", "missing")).rejects.toMatchObject({ status: 404, code: "not_found" });
  });
});
