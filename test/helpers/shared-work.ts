/**
 * What several executors on one NATS must do together: share a batch of kitchen-sink instances,
 * each run to completion with every step body run exactly once, and each executor taking some.
 */
import { expect } from "vitest";
import { isFinished, type TenantClient, type TestExecutor, type TestKiln } from "./kiln.ts";

/** How often a kitchen-sink step body ran, from the instance's log lines. */
export const bodyRuns = (lines: { message: string }[], name: string) => lines.filter((line) => line.message === `body:${name}`).length;

export async function expectSharedWork(kiln: TestKiln, acme: TenantClient, executors: TestExecutor[], prefix: string, count: number): Promise<void> {
  const activations = await kiln.watchActivations();
  try {
    const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
    const batch = await acme.api(
      "POST",
      "/v1/tenants/acme/workflows/sink/instances/batch",
      ids.map((id) => ({ id, params: { scenario: "steps", count: 3, spinMs: 20 } })),
    );
    expect(batch.status).toBe(201);
    for (const id of ids) {
      const view = await acme.waitFor("sink", id, isFinished);
      expect(view).toMatchObject({ status: "complete", output: { sum: 12 } });
      const lines = await acme.logs("sink", id);
      for (const step of ["step 1", "step 2", "step 3"]) expect(bodyRuns(lines, step), `${id}: ${JSON.stringify(lines)}`).toBe(1);
    }
    const byExecutor = activations.byExecutor();
    for (const executor of executors) expect(byExecutor.get(executor.id), `activations of ${executor.description}`).toBeGreaterThan(0);
  } finally {
    activations.stop();
  }
}
