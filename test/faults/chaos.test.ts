/**
 * Chaos run (README "Durable semantics", guarantees 1–3): instances of a workflow with steps, a
 * sleep that suspends it and an event, on three executors as child processes, while a driver
 * SIGKILLs a random executor every 1–3 s and starts another, for the whole run. Every instance must
 * complete with the right output, every step be recorded once, and a body run more than once only
 * when an executor was killed while it was in flight.
 *
 * 200 instances under `npm run test:faults` (KILN_FAULTS_SCALE=full), 30 in `npm test`.
 * `KILN_FAULTS_SEED=<n>` replays a run's rhythm of sleeps, events and kills.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { FAULTS_SCALE, faultsSeed, seeded, startExecutorChurn, type Kill, startFaultsKiln } from "../helpers/faults.ts";
import { journalStepRecords } from "../helpers/journal.ts";
import { isFinished, type TenantClient, type TestKiln } from "../helpers/kiln.ts";
import { bodyRuns } from "../helpers/shared-work.ts";

const INSTANCES = FAULTS_SCALE === "full" ? 200 : 30;
/** Sleeps past this suspend the instance (its timer rides on a work message), shorter ones do not. */
const HOLD_MS = 100;
/** Each executor's activations at once: a kill cuts at most this many bodies short. */
const CONCURRENCY = 8;
/** Healthy: 30 instances in ~20 s, 200 in ~1–2 min on the loaded 2-core machine. A lost instance never finishes. */
const FINISH_WITHIN_MS = FAULTS_SCALE === "full" ? 600_000 : 240_000;
const EVENTS_OVER_MS = FAULTS_SCALE === "full" ? 60_000 : 10_000;
const BODIES = ["a", "b", "c"];
const STEPS = ["a#1", "b#1", "c#1", "go#1", "nap#1"];
const WORKFLOW = "faults";

let kiln: TestKiln;
let acme: TenantClient;

beforeAll(async () => {
  ({ kiln, acme } = await startFaultsKiln(WORKFLOW));
});

afterAll(async () => {
  await kiln?.close();
});

it(
  `completes ${INSTANCES} instances exactly once while executors are SIGKILLed every 1–3 s`,
  async () => {
    const seed = faultsSeed();
    const random = seeded(seed);
    console.log(`chaos: seed ${seed} (KILN_FAULTS_SEED=${seed} runs this rhythm again), ${INSTANCES} instances`);
    const churn = await startExecutorChurn(kiln, {
      executors: 3,
      random,
      env: { KILN_HOLD_MS: String(HOLD_MS), KILN_EXECUTOR_CONCURRENCY: String(CONCURRENCY) },
    });
    const startedAt = Date.now();
    let kills: readonly Kill[] = [];
    try {
      const ids = Array.from({ length: INSTANCES }, (_, i) => `chaos-${i}`);
      // Batches of 100, the most one holds.
      for (let start = 0; start < INSTANCES; start += 100) {
        const created = await acme.api(
          "POST",
          `/v1/tenants/acme/workflows/${WORKFLOW}/instances/batch`,
          ids.slice(start, start + 100).map((id) => ({ id, params: { scenario: "chaos", sleep: 200 + Math.floor(random() * 1_300) } })),
        );
        expect(created.status, JSON.stringify(created.body)).toBe(201);
      }
      // Events in a random order over ~EVENTS_OVER_MS: some arrive before the wait (buffered), some
      // after, and the run lasts through several kills even at the small size.
      for (const index of ids.map((_, i) => i).sort(() => random() - 0.5)) {
        const sent = await acme.api("POST", `/v1/tenants/acme/workflows/${WORKFLOW}/instances/chaos-${index}/events/go`, { n: index });
        expect(sent.status, JSON.stringify(sent.body)).toBe(202);
        await new Promise((resolve) => setTimeout(resolve, (random() * 2 * EVENTS_OVER_MS) / INSTANCES));
      }

      const deadline = startedAt + FINISH_WITHIN_MS;
      const views = new Map<string, { status: string; output?: unknown }>();
      for (const id of ids) views.set(id, await acme.waitFor(WORKFLOW, id, isFinished, Math.max(1_000, deadline - Date.now())));
      const finishedMs = Date.now() - startedAt;
      await churn.stop();
      kills = churn.kills;
      console.log(`chaos: ${INSTANCES} instances finished in ${finishedMs} ms; ${kills.length} SIGKILLs, ${churn.started} executors started`);
      expect(kills.length, "the driver killed nothing: the run proves nothing").toBeGreaterThan(0);

      const records = await journalStepRecords(await kiln.nats.connect(), "acme", WORKFLOW, ids);
      const problems: string[] = [];
      let extraRuns = 0;
      for (const [index, id] of ids.entries()) {
        const view = views.get(id)!;
        const wanted = { instanceId: id, a: 1, b: 3, c: 3 + index };
        if (view.status !== "complete" || JSON.stringify(view.output) !== JSON.stringify(wanted)) {
          problems.push(`${id}: ${view.status} with ${JSON.stringify(view.output)}, not complete with ${JSON.stringify(wanted)}`);
        }
        if (JSON.stringify(records.get(id)) !== JSON.stringify(STEPS))
          problems.push(`${id}: journal holds [${records.get(id)?.join(", ")}], not [${STEPS.join(", ")}]`);
        const lines = await acme.logs(WORKFLOW, id);
        for (const body of BODIES) {
          const runs = lines.filter((line) => line.message === `body:${body}`).map((line) => line.ts);
          if (bodyRuns(lines, body) === 0) problems.push(`${id}: body of "${body}" never logged a run`);
          if (runs.length <= 1) continue;
          extraRuns += runs.length - 1;
          // Again only after a kill landed while the earlier run was in flight (between it and the rerun).
          const killedBetween = kills.filter((kill) => kill.at >= Math.min(...runs) && kill.at <= Math.max(...runs)).length;
          if (killedBetween < runs.length - 1) problems.push(`${id}: body of "${body}" ran ${runs.length} times with ${killedBetween} kills in between`);
        }
      }
      console.log(`chaos: ${extraRuns} body runs past the first, against ${kills.length} kills of executors running up to ${CONCURRENCY} activations each`);
      expect(problems, `seed ${seed}:\n${problems.join("\n")}`).toEqual([]);
      expect(extraRuns, `seed ${seed}: more extra body runs than the kills could have cut short`).toBeLessThanOrEqual(kills.length * CONCURRENCY);
    } finally {
      await churn.stop();
    }
  },
  FINISH_WITHIN_MS + 120_000,
);
