/**
 * Setting a tenant's limits in an end-to-end test and knowing they are in force, and the
 * well-behaved neighbour every containment test runs beside the hostile code. Both need a deployed
 * fixture with the `settings-mark` and `well-behaved` scenarios (test/fixtures/runaway.ts, hostile.ts).
 */
import { expect } from "vitest";
import { eventually } from "./eventually.ts";
import { isFinished, type JsonBody, type TenantClient, type TestKiln } from "./kiln.ts";

/**
 * Sets a tenant's limits, and waits until an executor runs its instances with them: the settings carry
 * an env var marker that a probe instance of `workflow` reads back, and env vars travel with the limits.
 */
export async function setLimits(kiln: TestKiln, client: TenantClient, workflow: string, limits: Record<string, number>): Promise<void> {
  const mark = crypto.randomUUID();
  const put = await kiln.adminApi("PUT", `/v1/tenants/${client.id}/settings`, { limits, env: { vars: { MARK: mark } } });
  expect(put.status).toBe(200);
  await eventually(`the limits of ${client.id} reach the executor`, async () => {
    const { id } = await client.create(workflow, { params: { scenario: "settings-mark" } });
    return (await client.waitFor(workflow, id, isFinished)).output === mark;
  });
}

/** Runs a well-behaved instance of `workflow` (three steps, output 3) to its end. */
export async function runWellBehaved(client: TenantClient, workflow: string): Promise<JsonBody> {
  const { id } = await client.create(workflow, { params: { scenario: "well-behaved" } });
  return client.waitFor(workflow, id, isFinished);
}
