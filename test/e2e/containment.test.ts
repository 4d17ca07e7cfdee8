/**
 * Runaway tenant code cannot hold a core or an executor: CPU budgets outside and inside step bodies,
 * terminate that kills a spinning sandbox at once, and a shutdown that hands spinning work to another
 * executor without waiting for the ack wait. Each beside a well-behaved tenant whose instance completes.
 * How fast each of these is belongs to the benchmark; here only generous upper bounds that prove
 * nothing waited for an ack wait or forever.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../helpers/eventually.ts";
import { fixture, isFinished, startKiln, type TenantClient, type TestKiln } from "../helpers/kiln.ts";
import { runWellBehaved, setLimits } from "../helpers/tenant-limits.ts";

async function deployRunaway(client: TenantClient): Promise<void> {
  const deployed = await client.deploy("runaway", await fixture("runaway.ts"));
  expect(deployed.status).toBe(201);
}

const wellBehaved = (client: TenantClient) => runWellBehaved(client, "runaway");

const stepStarted = (name: string) => (view: { steps: { name: string; status: string }[] }) =>
  view.steps.some((step) => step.name === name && step.status === "complete");

describe("CPU budgets and terminate", () => {
  let kiln: TestKiln;
  let spinner: TenantClient;
  let stopper: TenantClient;
  let calm: TenantClient;

  beforeAll(async () => {
    kiln = await startKiln();
    [spinner, stopper, calm] = await Promise.all([kiln.tenant("spinner"), kiln.tenant("stopper"), kiln.tenant("calm")]);
    await Promise.all([spinner, stopper, calm].map(deployRunaway));
    await setLimits(kiln, spinner, "runaway", { runCpuMs: 200, stepCpuMs: 200 });
  }, 120_000);
  afterAll(async () => kiln?.close());

  it("errors an instance looping outside a step with WorkflowCpuLimitError after its retries, while another tenant completes", async () => {
    const { id } = await spinner.create("runaway", { params: { scenario: "spin-between-steps" } });
    // Between retries the status says why the instance is not moving (each wait is a second or more).
    const retrying = await spinner.waitFor("runaway", id, (view) => view.cpuLimit !== undefined || isFinished(view));
    expect(retrying.cpuLimit).toMatchObject({ failures: expect.any(Number), message: expect.stringContaining("limits.runCpuMs") });
    expect((await wellBehaved(calm)).output).toBe(3);
    const view = await spinner.waitFor("runaway", id, isFinished);
    expect(view.status).toBe("errored");
    expect(view.error).toMatchObject({ name: "WorkflowCpuLimitError", code: "limit_exceeded" });
    expect(view.error.message).toContain("200 ms");
    expect(view.error.message).toContain("limits.runCpuMs");
    expect((await spinner.logs("runaway", id)).some((line) => line.source === "engine" && line.message.includes("limits.runCpuMs"))).toBe(true);
    // The step before the loop ran once: the retried activations replayed it.
    expect(view.steps.find((step: { name: string }) => step.name === "before")).toMatchObject({ status: "complete", attempts: 1 });
  }, 90_000);

  it("fails each attempt of a CPU-hungry step over limits.stepCpuMs and applies the step's retries", async () => {
    const { id } = await spinner.create("runaway", { params: { scenario: "hungry-step" } });
    const view = await spinner.waitFor("runaway", id, isFinished);
    expect(view.status).toBe("complete");
    expect(view.output.caught).toMatchObject({ name: "StepCpuLimitError" });
    expect(view.output.caught.message).toContain('step "hungry"');
    expect(view.output.caught.message).toContain("limits.stepCpuMs");
    // limit 1: the first attempt and one retry.
    expect(view.steps.find((step: { name: string }) => step.name === "hungry")).toMatchObject({ status: "failed", attempts: 2 });
  }, 90_000);

  it("terminates an instance spinning between steps, long before its CPU budget would stop it", async () => {
    // stopper keeps the default limits.runCpuMs (5 s): only the terminate can end this loop soon.
    const { id } = await stopper.create("runaway", { params: { scenario: "spin-between-steps" } });
    await stopper.waitFor("runaway", id, stepStarted("before"));
    expect((await stopper.api("POST", `/v1/tenants/${stopper.id}/workflows/runaway/instances/${id}/terminate`)).status).toBeLessThan(300);
    const view = await stopper.waitFor("runaway", id, isFinished, 20_000);
    expect(view.status).toBe("terminated");
    // Stopped by the terminate, not by the CPU budget (which logs why it kills).
    expect((await stopper.logs("runaway", id)).map((line) => line.message).join("\n")).not.toContain("limits.runCpuMs");
  }, 60_000);

  it("terminates an instance spinning inside a step with a long timeout, and the executor serves on", async () => {
    const { id } = await stopper.create("runaway", { params: { scenario: "spin-in-step" } });
    await stopper.waitFor("runaway", id, stepStarted("started"));
    const answer = await stopper.api("POST", `/v1/tenants/${stopper.id}/workflows/runaway/instances/${id}/terminate`);
    expect(answer.status).toBeLessThan(300);
    // Far below the step's 10-minute timeout and its 30 s of CPU: the sandbox was killed, not waited out.
    const view = await stopper.waitFor("runaway", id, isFinished, 20_000);
    expect(view.status).toBe("terminated");
    expect((await wellBehaved(stopper)).output).toBe(3);
    expect((await wellBehaved(calm)).output).toBe(3);
  }, 60_000);
});

describe("shutdown", () => {
  it("hands an instance whose step spins to another executor after the grace period, not after the ack wait", async () => {
    // Ack wait and lease of a minute: a pickup within the bounds below can only come from the release.
    await using kiln = await startKiln({ executorEnv: { KILN_WORK_ACK_WAIT_MS: "60000", KILN_SHUTDOWN_GRACE_MS: "500" } });
    const [first] = kiln.executors;
    const acme = await kiln.tenant("acme");
    await deployRunaway(acme);
    const { id } = await acme.create("runaway", { params: { scenario: "spin-in-step" } });
    await acme.waitFor("runaway", id, stepStarted("started"));

    const watch = await kiln.watchActivations();
    const second = await kiln.startExecutor();
    const closing = Date.now();
    await first!.close();
    // Grace (0.5 s) plus stopping (a child process on a loaded machine: seconds). The lease, renewed
    // every 20 s, cannot lapse within 40 s of the close: a pickup inside 25 s + 10 s is the release's.
    expect(Date.now() - closing).toBeLessThan(25_000);
    await eventually("another executor resumes the instance", async () => (watch.byExecutor().get(second.id) ?? 0) > 0, 10_000);
    watch.stop();

    await acme.api("POST", `/v1/tenants/acme/workflows/runaway/instances/${id}/terminate`);
    expect((await acme.waitFor("runaway", id, isFinished, 20_000)).status).toBe("terminated");
    expect((await wellBehaved(acme)).output).toBe(3);
  }, 120_000);
});
