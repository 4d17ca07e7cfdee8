/**
 * The gateway SIGKILLed during deploys of new versions (issue 19, "Gateway faults"): no version may
 * be half-registered. A deploy stores the artifact in `kiln_artifacts` before it names the version
 * in `kiln_registry`, so whatever moment the kill lands at, a fresh gateway finds each new version
 * either fully there (registered, its artifact whole, runnable) or absent, and a redeploy of the
 * same source works either way: `unchanged` exactly when the version was fully there.
 *
 * Every workflow already runs a base version; the kill lands while new versions of them are being
 * deployed one after another, after a seeded number of the deploys' writes (artifact chunks and
 * metadata, registry records). The versions are compiled once beforehand (into the test compile cache), so the deploys
 * spend their time on those writes and no compiler process outlives the killed gateway.
 */
import { Objm } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/nats-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { decodeArtifact } from "../../contract/artifact.ts";
import { artifactName, Buckets } from "../../contract/mod.ts";
import { FAULTS_SCALE, faultsSeed, seeded } from "../helpers/faults.ts";
import { fixture, isFinished, startKiln, type Api, type TenantClient, type TestKiln } from "../helpers/kiln.ts";

/** Workflows, each getting a new version while the gateway dies. */
const WORKFLOWS = FAULTS_SCALE === "full" ? 6 : 3;
const workflow = (i: number) => `deploy-${i}`;
/** The fixture with a comment of its own: a new version (a content hash) that runs the same. */
const variant = (source: string, i: number) => `${source}\n// deploy-kill variant ${i}\n`;
/** The writes of a deploy: artifact chunks and metadata, registry records. */
const DEPLOY_WRITES = [`$O.${Buckets.artifacts}.>`, `$KV.${Buckets.registry}.>`];

let kiln: TestKiln;
let acme: TenantClient;
let nc: NatsConnection;
let base: string;
let baseVersion: string;
/** Per workflow: the new version's id, and what its deploy through the killed gateway answered. */
const deploys: { version: string; answer: string; answered201: boolean }[] = [];
const seed = faultsSeed();

async function countWrites(during: () => Promise<void>, onWrite: (count: number) => void = () => undefined): Promise<number> {
  let count = 0;
  const watches = DEPLOY_WRITES.map((subject) => nc.subscribe(subject, { callback: () => onWrite(++count) }));
  await nc.flush();
  try {
    await during();
    await nc.flush();
  } finally {
    for (const watch of watches) watch.unsubscribe();
  }
  return count;
}

beforeAll(async () => {
  kiln = await startKiln({ executors: 0 });
  acme = await kiln.tenant("acme");
  nc = await kiln.nats.connect();
  base = await fixture("hello.ts");
  for (let i = 0; i < WORKFLOWS; i++) {
    const deployed = await acme.deploy(workflow(i), base);
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(201);
    baseVersion = deployed.body.version;
  }
  // Compile each new version once (elsewhere), and count what one deploy of it writes.
  const versions: string[] = [];
  const writes = await countWrites(async () => {
    for (let i = 0; i < WORKFLOWS; i++) {
      const warmed = await acme.deploy(`warm-${i}`, variant(base, i));
      expect(warmed.status, JSON.stringify(warmed.body)).toBe(201);
      versions.push(warmed.body.version);
    }
  });

  const killAfter = 1 + Math.floor(seeded(seed)() * writes);
  const gateway = await kiln.spawnGateway();
  const api = kiln.api(acme.token, gateway.url);
  let killed: Promise<void> | undefined;
  let killedAt = "after every deploy was answered";
  const answers: string[] = [];
  await countWrites(
    async () => {
      // One after another: the kill lands in one of them, after some answered 201 and before the
      // rest reach a gateway that is gone.
      const settled: string[] = [];
      for (const [i] of versions.entries()) {
        settled.push(
          await deploy(api, workflow(i), variant(base, i)).then(
            ({ status, body }) => `answered ${status}${status === 201 ? "" : ` ${JSON.stringify(body)}`}`,
            (error: unknown) => `failed (${(error as Error).message})`,
          ),
        );
      }
      answers.push(...settled);
    },
    (count) => {
      if (count !== killAfter) return;
      killed = gateway.kill();
      killedAt = `after ${killAfter} of ~${writes} writes`;
    },
  );
  // Fewer writes than the rehearsal counted (the registry also holds what tokens write): kill now,
  // after the answers, which is a moment too.
  killed ??= gateway.kill();
  await killed;
  versions.forEach((version, i) => deploys.push({ version, answer: answers[i]!, answered201: answers[i] === "answered 201" }));
  console.log(`gateway deploy kill: seed ${seed} (KILN_FAULTS_SEED=${seed}); SIGKILL ${killedAt}; ` + `the deploys ${answers.join(", ")}`);
}, 900_000);

afterAll(async () => {
  await kiln?.close();
});

function deploy(api: Api, name: string, source: string) {
  return api("PUT", `/v1/tenants/acme/workflows/${name}`, source, { "content-type": "application/typescript" });
}

it("leaves every new version fully registered (artifact whole, latest) or absent, and every one answered 201 registered", async () => {
  const fresh = await kiln.startGateway();
  const api = kiln.api(acme.token, fresh.url);
  const artifacts = await new Objm(nc).open(Buckets.artifacts);
  const found: string[] = [];
  for (const [i, { version, answer, answered201 }] of deploys.entries()) {
    const name = workflow(i);
    const view = await api("GET", `/v1/tenants/acme/workflows/${name}`);
    expect(view.status).toBe(200);
    const registered: string[] = view.body.versions.map((v: { version: string }) => v.version);
    const what = `seed ${seed}: ${name}, whose deploy ${answer}, has versions ${registered.join(", ")}`;
    expect(
      registered.filter((v) => v !== baseVersion && v !== version),
      what,
    ).toEqual([]);
    expect(registered, what).toContain(baseVersion);
    const hasNew = registered.includes(version);
    const stored = await artifacts.info(artifactName("acme", name, version));
    found.push(`${name}: ${hasNew ? "registered" : stored && !stored.deleted ? "artifact stored, not registered" : "absent"}`);
    if (answered201) expect(hasNew, what).toBe(true);
    expect(view.body.latestVersion, what).toBe(hasNew ? version : baseVersion);
    for (const v of registered) {
      const info = await artifacts.info(artifactName("acme", name, v));
      expect(info && !info.deleted, `${what}: the artifact of ${v}`).toBeTruthy();
      const artifact = decodeArtifact((await artifacts.getBlob(artifactName("acme", name, v)))!);
      expect(Object.keys(artifact.coreModules).length, `${what}: the artifact of ${v}`).toBeGreaterThan(0);
    }
  }
  console.log(`gateway deploy kill: seed ${seed}: the new versions ${found.join(", ")}`);
});

it("runs an instance of every registered version to the end, and takes a redeploy of the same source, unchanged exactly when it was fully there", async () => {
  const fresh = await kiln.startGateway();
  const api = kiln.api(acme.token, fresh.url);
  await kiln.startExecutor();
  const runs = async (name: string, version: string) => {
    const created = await api("POST", `/v1/tenants/acme/workflows/${name}/instances`, { params: { name: "ada" } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.version, `seed ${seed}: ${name}`).toBe(version);
    const view = await acme.waitFor(name, created.body.id, isFinished, 120_000);
    expect(view, `seed ${seed}: ${name} at ${version}`).toMatchObject({ status: "complete", version, output: { greeting: "hello ada", when: true } });
  };
  for (const [i, { version }] of deploys.entries()) {
    const name = workflow(i);
    const before = await api("GET", `/v1/tenants/acme/workflows/${name}`);
    const wasThere = before.body.versions.some((v: { version: string }) => v.version === version);
    await runs(name, before.body.latestVersion);
    const again = await deploy(api, name, variant(base, i));
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body.version).toBe(version);
    expect(again.body.unchanged === true, `seed ${seed}: ${name}: redeploy says unchanged iff the version was fully there (${wasThere})`).toBe(wasThere);
    await runs(name, version);
    const back = await deploy(api, name, base);
    expect(back.body).toMatchObject({ version: baseVersion, unchanged: true });
    await runs(name, baseVersion);
  }
}, 300_000);
