/**
 * Failures of the platform, not of tenant code, end the way their kind calls for: an artifact that
 * is gone or broken fails the instance at once with a stable code and advice (retrying cannot bring
 * it back), instead of being retried every second forever.
 */
import { Objm } from "@nats-io/obj";
import { afterAll, beforeAll, expect, it } from "vitest";
import { artifactName, Buckets } from "../../contract/mod.ts";
import { fixture, isFinished, startKiln, type TenantClient, type TestKiln } from "../helpers/kiln.ts";

let kiln: TestKiln;
let acme: TenantClient;

beforeAll(async () => {
  kiln = await startKiln();
  acme = await kiln.tenant("acme");
});

afterAll(async () => {
  await kiln?.close();
});

/** Deploys the hello fixture as `workflow`, then lets `damage` change its stored artifact. */
async function deployAndDamage(workflow: string, damage: (store: Awaited<ReturnType<Objm["open"]>>, name: string) => Promise<unknown>): Promise<void> {
  const deployed = await acme.deploy(workflow, await fixture("hello.ts"));
  expect(deployed.status).toBe(201);
  const nc = await kiln.nats.connect();
  const store = await new Objm(nc).open(Buckets.artifacts);
  await damage(store, artifactName("acme", workflow, deployed.body.version as string));
}

it("fails an instance whose version's artifact is missing, with code artifact_missing", async () => {
  await deployAndDamage("ghost", (store, name) => store.delete(name));
  await acme.create("ghost", { id: "g1", params: { name: "ada" } });
  const view = await acme.waitFor("ghost", "g1", isFinished, 30_000);
  expect(view.status).toBe("errored");
  expect(view.error).toMatchObject({ code: "artifact_missing", message: expect.stringContaining("deploy the workflow again") });
  expect(view.platformFailure).toBeUndefined();
});

it("fails an instance whose version's artifact is corrupt, with code artifact_invalid", async () => {
  await deployAndDamage("mangled", (store, name) => store.putBlob({ name }, new TextEncoder().encode("not an artifact")));
  await acme.create("mangled", { id: "m1", params: { name: "ada" } });
  const view = await acme.waitFor("mangled", "m1", isFinished, 30_000);
  expect(view.status).toBe("errored");
  expect(view.error).toMatchObject({ code: "artifact_invalid", message: expect.stringContaining("deploy the workflow again") });
});
