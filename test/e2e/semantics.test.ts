/**
 * Durable semantics on real components and a real nats-server: retries, timeouts, sleeps, events,
 * lifecycle, replay determinism and version pinning.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readServerSentEvents } from "../../client/sse.ts";
import { eventually } from "../helpers/eventually.ts";
import { fixture, isFinished, startKilnWithKitchenSink, type TenantClient, type TestKiln } from "../helpers/kiln.ts";

let kiln: TestKiln;
let acme: TenantClient;
let source: string;

beforeAll(async () => {
  ({ kiln, acme, source } = await startKilnWithKitchenSink({ executors: 1 }));
});

afterAll(async () => {
  await kiln?.close();
});

const run = async (params: Record<string, unknown>, id?: string) => {
  const created = await acme.create("sink", { ...(id ? { id } : {}), params });
  return created.id;
};
const lifecycle = (id: string, action: string, body?: unknown) => acme.api("POST", `/v1/tenants/acme/workflows/sink/instances/${id}/${action}`, body);
const sendEvent = (id: string, type: string, payload: unknown) => acme.api("POST", `/v1/tenants/acme/workflows/sink/instances/${id}/events/${type}`, payload);

describe("steps", () => {
  it("retries with backoff, records every attempt, then throws into run", async () => {
    const id = await run({ scenario: "retry", sleep: 100 });
    const view = await acme.waitFor("sink", id, isFinished);
    expect(view.output).toEqual({ caught: "service unavailable" });
    const flaky = view.steps.find((s: { name: string }) => s.name === "flaky");
    expect(flaky).toMatchObject({ status: "failed", attempts: 3 });
    const attempts = flaky.failedAttempts as { attempt: number; startedAt: string; failedAt: string }[];
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    // Exponential from 100 ms: the second attempt starts ≥ 100 ms after the first failed, the third ≥ 200 ms.
    const gap = (i: number) => Date.parse(attempts[i]!.startedAt) - Date.parse(attempts[i - 1]!.failedAt);
    expect(gap(1)).toBeGreaterThanOrEqual(100);
    expect(gap(2)).toBeGreaterThanOrEqual(200);
  });

  it("suspends durably for a long retry delay instead of holding a sandbox", async () => {
    const id = await run({ scenario: "retry", sleep: "1 second" });
    const suspended = await acme.waitFor("sink", id, (view) => view.status === "sleeping");
    expect(suspended.suspended).toMatchObject({ kind: "retry", step: "flaky" });
    const view = await acme.waitFor("sink", id, isFinished);
    expect(view.output).toEqual({ caught: "service unavailable" });
  });

  it("stops a step over its timeout and counts it as a failed attempt", async () => {
    const id = await run({ scenario: "timeout", timeout: "1 second" });
    const view = await acme.waitFor("sink", id, isFinished, 60_000);
    expect(view.status).toBe("errored");
    expect(view.error.name).toBe("StepTimeoutError");
    const stuck = view.steps.find((s: { name: string }) => s.name === "stuck");
    expect(stuck.attempts).toBe(2);
  });

  it("records each step of a Promise.all, and names may repeat", async () => {
    const id = await run({ scenario: "parallel" });
    const view = await acme.waitFor("sink", id, isFinished);
    expect(view.output).toEqual({ results: [10, 20, 30] });
    expect(view.steps.map((s: { name: string }) => s.name)).toEqual(["part", "part", "part"]);
  });

  it("refuses nested steps, oversized results and bad durations with clear errors", async () => {
    const nested = await acme.waitFor("sink", await run({ scenario: "nested" }), isFinished);
    expect(nested.status).toBe("errored");
    expect(nested.error.message).toMatch(/inside the body of step "outer"/);
    const big = await acme.waitFor("sink", await run({ scenario: "too-big" }), isFinished);
    expect(big.status).toBe("errored");
    expect(big.error.message).toMatch(/result of step "huge" is \d+ bytes/);
    const bad = await acme.waitFor("sink", await run({ scenario: "bad-duration" }), isFinished);
    expect(bad.status).toBe("errored");
    expect(bad.error.message).toMatch(/invalid duration: 'a fortnight or so'/);
  });
});

describe("time and events", () => {
  it("sleeps without an executor: survives an executor restart and never wakes early", async () => {
    const id = await run({ scenario: "sleep", sleep: "3 seconds" });
    await acme.waitFor("sink", id, (view) => view.status === "sleeping");
    const [executor] = kiln.executors.splice(0);
    await executor!.close();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await kiln.startExecutor();
    const view = await acme.waitFor("sink", id, isFinished);
    expect(view.status).toBe("complete");
    expect(view.output.after - view.output.before).toBeGreaterThanOrEqual(3_000);
  });

  it("keeps a sleeping instance's timer across a NATS restart", async () => {
    const id = await run({ scenario: "sleep", sleep: "3 seconds" });
    await acme.waitFor("sink", id, (view) => view.status === "sleeping");
    await kiln.nats.restart({ downMs: 500 });
    // Services reconnect on their own; give them a moment before polling through the gateway.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const view = await acme.waitFor("sink", id, isFinished);
    expect(view.status).toBe("complete");
    expect(view.output.after - view.output.before).toBeGreaterThanOrEqual(3_000);
  });

  it("buffers an event sent before the wait and delivers events of one type in order", async () => {
    const id = await run({ scenario: "event" }, "evt-1");
    // Both arrive before (or while) the instance first runs: neither may be lost.
    expect((await sendEvent(id, "approved", { n: 1 })).status).toBe(202);
    expect((await sendEvent(id, "approved", { n: 2 })).status).toBe(202);
    const view = await acme.waitFor("sink", id, isFinished);
    expect(view.output).toEqual({ first: { n: 1 }, second: { n: 2 } });
  });

  it("wakes a waiting instance when its event arrives", async () => {
    const id = await run({ scenario: "event" });
    const waiting = await acme.waitFor("sink", id, (view) => view.status === "waiting");
    expect(waiting.suspended).toMatchObject({ kind: "event", eventType: "approved" });
    await sendEvent(id, "approved", { n: "a" });
    await sendEvent(id, "approved", { n: "b" });
    const view = await acme.waitFor("sink", id, isFinished);
    expect(view.output).toEqual({ first: { n: "a" }, second: { n: "b" } });
  });

  it("throws a timeout into run when no event arrives", async () => {
    const id = await run({ scenario: "event-timeout", timeout: "1 second" });
    const view = await acme.waitFor("sink", id, isFinished);
    expect(view.output).toEqual({ timedOut: "WaitForEventTimeoutError" });
  });
});

describe("lifecycle", () => {
  it("terminates a sleeping instance for good", async () => {
    const id = await run({ scenario: "sleep", sleep: "2 seconds" });
    await acme.waitFor("sink", id, (view) => view.status === "sleeping");
    expect((await lifecycle(id, "terminate")).status).toBe(200);
    expect((await lifecycle(id, "terminate")).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const view = await acme.get("sink", id);
    expect(view.status).toBe("terminated");
    expect(view.steps.map((s: { name: string }) => s.name)).toEqual(["before", "nap"]);
    expect((await lifecycle(id, "resume")).status).toBe(409);
  });

  it("pauses and resumes", async () => {
    const id = await run({ scenario: "sleep", sleep: "1 second" });
    await acme.waitFor("sink", id, (view) => view.status === "sleeping");
    expect((await lifecycle(id, "pause")).body.status).toBe("paused");
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await acme.get("sink", id)).status).toBe("paused");
    expect((await lifecycle(id, "resume")).status).toBe(200);
    const view = await acme.waitFor("sink", id, isFinished);
    expect(view.status).toBe("complete");
  });

  it("restarts from the start with the same params and version", async () => {
    const id = await run({ scenario: "steps", count: 2 });
    const done = await acme.waitFor("sink", id, isFinished);
    expect((await lifecycle(id, "restart")).status).toBe(200);
    const again = await acme.waitFor("sink", id, (view) => isFinished(view) && view.updatedAt !== done.updatedAt);
    expect(again).toMatchObject({ status: "complete", version: done.version, output: done.output });
    const lines = await acme.logs("sink", id);
    expect(lines.filter((line) => line.message === "body:step 1")).toHaveLength(2);
  });

  it("gives a restart's run none of the events sent to the run before it", async () => {
    const id = await run({ scenario: "event" });
    await sendEvent(id, "approved", { n: "old" });
    await acme.waitFor("sink", id, (view) => view.status === "waiting" && view.steps.length === 2);
    // Sent to the first run, unconsumed: the new run must not take it for its first wait.
    await sendEvent(id, "approved", { n: "old, unconsumed" });
    expect((await lifecycle(id, "restart")).status).toBe(200);
    // The new run waits at its first wait, where the first run's second event would satisfy it.
    await acme.waitFor("sink", id, (view) => view.status === "waiting" && view.steps.length === 1);
    await sendEvent(id, "approved", { n: 1 });
    await sendEvent(id, "approved", { n: 2 });
    const view = await acme.waitFor("sink", id, isFinished);
    expect(view.output).toEqual({ first: { n: 1 }, second: { n: 2 } });
  });

  it("lists instances newest first, by status and creation time, page by page", async () => {
    const list = async (query: string) => {
      const answer = await acme.api("GET", `/v1/tenants/acme/workflows/sink/instances?${query}`);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      return answer.body as { instances: { id: string; status: string; createdAt: string }[]; cursor?: string };
    };
    const before = new Date().toISOString();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await run({ scenario: "steps", count: 1 }, `listed-${i}`));
    await Promise.all(ids.map((id) => acme.waitFor("sink", id, isFinished)));
    const seen: string[] = [];
    let page = await list(`status=complete&limit=2&createdAfter=${before}`);
    for (;;) {
      expect(page.instances.length).toBeLessThanOrEqual(2);
      seen.push(...page.instances.map((instance) => instance.id));
      if (!page.cursor) break;
      page = await list(`status=complete&limit=2&createdAfter=${before}&cursor=${page.cursor}`);
    }
    expect(seen).toEqual([...ids].reverse());
    const older = await list(`createdBefore=${before}&limit=1000`);
    expect(older.instances.every((instance) => instance.createdAt < before)).toBe(true);
    expect(older.instances.some((instance) => ids.includes(instance.id))).toBe(false);
    expect((await list("status=errored&limit=1000")).instances.every((instance) => instance.status === "errored")).toBe(true);
    for (const bad of ["status=bogus", "limit=0", "cursor=abc", "cursor=99999.0", "createdAfter=yesterday"]) {
      const answer = await acme.api("GET", `/v1/tenants/acme/workflows/sink/instances?${bad}`);
      expect(answer.status, bad).toBe(400);
    }
    expect((await acme.api("GET", "/v1/tenants/acme/workflows/nope/instances")).status).toBe(404);
  });
});

describe("determinism and versions", () => {
  it("errors with a non-determinism error naming both steps when replay diverges", async () => {
    const id = await run({ scenario: "diverge", sleep: "1 second" });
    const view = await acme.waitFor("sink", id, isFinished);
    expect(view.status).toBe("errored");
    expect(view.error.name).toBe("NonDeterminismError");
    expect(view.error.message).toContain('"charge card"');
    expect(view.error.message).toContain('"reserve stock"');
    // It stopped at the divergence: nothing was recorded on the wrong path.
    expect(view.steps.map((s: { name: string }) => s.name)).toEqual(["reserve stock", "settle"]);
  });

  it("keeps Date.now() and Math.random() outside steps stable across replays", async () => {
    const id = await run({ scenario: "determinism", sleep: "1 second" });
    const view = await acme.waitFor("sink", id, isFinished);
    const { stableBefore, inside, stableAfter } = view.output;
    expect(stableBefore.now).toBe(Date.parse(view.createdAt));
    expect(inside.now).toBeGreaterThanOrEqual(stableBefore.now);
    // After the sleep, time outside steps is the sleep's end, recorded in the journal.
    expect(stableAfter.now).toBe(Date.parse(view.steps[1].until));
    expect(stableBefore.random).not.toBe(stableAfter.random);
  });

  it("finishes a sleeping instance on the version it started with after a new deploy", async () => {
    const id = await run({ scenario: "sleep", sleep: "3 seconds" });
    const sleeping = await acme.waitFor("sink", id, (view) => view.status === "sleeping");
    const v2 = await acme.deploy("sink", source.replace('const VERSION_MARK = "v1"', 'const VERSION_MARK = "v2"'));
    expect(v2.status).toBe(201);
    expect(v2.body.version).not.toBe(sleeping.version);
    const view = await acme.waitFor("sink", id, isFinished);
    expect(view).toMatchObject({ status: "complete", version: sleeping.version });
    expect(view.output.version).toBe("v1");
    const fresh = await acme.waitFor("sink", await run({ scenario: "sleep", sleep: 10 }), isFinished);
    expect(fresh).toMatchObject({ version: v2.body.version, output: { version: "v2" } });
  });
});

describe("status stream", () => {
  /** The `status` events of `GET …/instances/:id/stream` until the server ends the stream. */
  async function statusEvents(id: string): Promise<{ status: string; output?: unknown }[]> {
    const response = await fetch(`${kiln.gateway.url}/v1/tenants/acme/workflows/sink/instances/${id}/stream`, {
      headers: { authorization: `Bearer ${acme.token}` },
      signal: AbortSignal.timeout(60_000),
    });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const events: { status: string; output?: unknown }[] = [];
    for await (const event of readServerSentEvents(response.body!)) {
      expect(event.event).toBe("status");
      events.push(JSON.parse(event.data) as { status: string; output?: unknown });
    }
    return events;
  }

  it("sends each status change in order and ends with the outcome; a late client gets the end at once", async () => {
    const id = await run({ scenario: "sleep", sleep: "1 second" });
    const events = await statusEvents(id);
    const statuses = events.map((event) => event.status);
    expect(statuses).toContain("sleeping");
    expect(statuses.at(-1)).toBe("complete");
    expect(statuses.indexOf("sleeping")).toBeLessThan(statuses.indexOf("complete"));
    expect(statuses.filter((status) => status === "complete")).toHaveLength(1);
    // The output the instance ended with (its version mark is "v2" once the test above has deployed it).
    expect(events.at(-1)!.output).toEqual((await acme.get("sink", id)).output);
    expect(events.at(-1)!.output).toMatchObject({ version: expect.stringMatching(/^v[12]$/) });
    // Connecting after the end: the final status, and the stream closes.
    expect(await statusEvents(id)).toEqual([expect.objectContaining({ status: "complete", output: events.at(-1)!.output })]);
  });
});

describe("restart from a step", () => {
  it("keeps the steps before it, runs that step and the rest again, and refuses a step that is not there", async () => {
    const id = await run({ scenario: "steps", count: 3 });
    const first = await acme.waitFor("sink", id, isFinished);
    expect((await lifecycle(id, "restart", { from: { name: "step 9", count: 1 } })).body.error.message).toContain('"step 1" #1, "step 2" #1, "step 3" #1');
    expect((await lifecycle(id, "restart", { from: { name: "step 2" } })).status).toBe(400);
    const restarted = await lifecycle(id, "restart", { from: { name: "step 2", count: 1 } });
    expect(restarted.status).toBe(200);
    const again = await acme.waitFor("sink", id, isFinished);
    expect(again).toMatchObject({ status: "complete", output: { sum: 12 } });
    const completedAt = (view: { steps: { name: string; completedAt: string }[] }, name: string) => view.steps.find((step) => step.name === name)!.completedAt;
    expect(completedAt(again, "step 1")).toBe(completedAt(first, "step 1"));
    expect(completedAt(again, "step 2")).not.toBe(completedAt(first, "step 2"));
    // Step 1 ran once, steps 2 and 3 twice (log lines may trail the status by a moment).
    const bodies = async () => (await acme.logs("sink", id)).map((line) => line.message).filter((message) => message.startsWith("body:"));
    await eventually("every step body's log line is stored", async () => (await bodies()).length >= 5);
    expect(await bodies()).toEqual(["body:step 1", "body:step 2", "body:step 3", "body:step 2", "body:step 3"]);
  });
});

describe("Cloudflare compatibility", () => {
  it("deploys a Cloudflare Workflows file unchanged, warning about the ignored Worker", async () => {
    const deployed = await acme.deploy("greeting", await fixture("cloudflare-workflow.ts"));
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(201);
    expect(deployed.body.warnings?.join(" ")).toMatch(/default export/);
    const created = await acme.create("greeting", { id: "cf-1", params: { name: "Ada" } });
    const view = await acme.waitFor("greeting", created.id, isFinished);
    expect(view.status).toBe("complete");
    expect(view.output).toMatchObject({
      greeting: "hello, Ada",
      instanceId: "cf-1",
      workflowName: "greeting",
      startedAt: view.createdAt,
      // The body saw its attempt, its name and occurrence count, and its resolved config.
      seen: { attempt: 3, step: { name: "flaky lookup", count: 1 }, limit: 3 },
      tokenLength: 5,
    });
    // The delay function chose the wait: attempt × 50 ms + 4 (the error's length); 54 ms after attempt 1.
    const flaky = view.steps.find((step: { name: string }) => step.name === "flaky lookup");
    const attempts = flaky.failedAttempts as { startedAt: string; failedAt: string }[];
    const gap = (i: number) => Date.parse(attempts[i]!.startedAt) - Date.parse(attempts[i - 1]!.failedAt);
    expect(attempts).toHaveLength(2);
    expect(gap(1)).toBeGreaterThanOrEqual(54);
    // A sensitive step is replayed to run (tokenLength above) but never shown.
    const token = view.steps.find((step: { name: string }) => step.name === "mint token");
    expect(token).toMatchObject({ redacted: "output", count: 1 });
    expect(token).not.toHaveProperty("output");
    expect(JSON.stringify(view)).not.toContain("tok-3");
    const whole = await acme.api("GET", "/v1/tenants/acme/workflows/greeting/instances/cf-1/steps/mint%20token/1");
    expect(whole.status).toBe(200);
    expect(whole.body).toMatchObject({ name: "mint token", redacted: "output" });
    expect(JSON.stringify(whole.body)).not.toContain("tok-3");
  });

  it("fails a step for good when its retries.delay function gives no duration", async () => {
    const view = await acme.waitFor("sink", await run({ scenario: "bad-delay" }), isFinished);
    expect(view.output).toEqual({ caught: expect.stringMatching(/^StepUsageError: retries.delay of step "no duration" gave no duration: /) });
    // No retry was attempted: the first failure was final.
    expect(view.steps.find((step: { name: string }) => step.name === "no duration")).toMatchObject({ status: "failed", attempts: 1 });
  });

  it("serves one step whole, while the status view leaves a large output out and says so", async () => {
    const id = await run({ scenario: "large-output", count: 40_000 });
    const view = await acme.waitFor("sink", id, isFinished);
    const large = view.steps.find((step: { name: string }) => step.name === "large");
    expect(large).toMatchObject({ count: 1, outputTruncated: { bytes: 40_002, limit: 16_384 } });
    expect(large).not.toHaveProperty("output");
    const whole = await acme.api("GET", `/v1/tenants/acme/workflows/sink/instances/${id}/steps/large/1`);
    expect(whole.status).toBe(200);
    expect(whole.body.output).toHaveLength(40_000);
    const missing = await acme.api("GET", `/v1/tenants/acme/workflows/sink/instances/${id}/steps/large/2`);
    expect(missing.status).toBe(404);
    expect((await acme.api("GET", `/v1/tenants/acme/workflows/sink/instances/${id}/steps/large/0`)).status).toBe(400);
  });
});
