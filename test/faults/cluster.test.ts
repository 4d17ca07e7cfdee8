/**
 * A 3-node JetStream cluster on loopback with every stream, bucket and object store at replicas 3
 * (`KILN_REPLICAS=3`, `KILN_NATS_URL` listing every node), README "Durable semantics", guarantees 1
 * and 3: one node is SIGKILLed mid-run and started again later, then the node leading the work
 * stream. Every instance completes with the right output and one journal record per step; events
 * sent meanwhile are retried on the gateway's 503 advice until accepted.
 *
 * Only under `npm run test:faults` (KILN_FAULTS_SCALE=full): three servers and a leader election
 * take longer than the normal suite should.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Streams } from "../../contract/mod.ts";
import { FAULTS_SCALE, sendAccepted } from "../helpers/faults.ts";
import { journalStepRecords } from "../helpers/journal.ts";
import { fixture, isFinished, startKiln, type TenantClient, type TestKiln } from "../helpers/kiln.ts";
import { startTestNatsCluster, type TestNatsCluster } from "../helpers/nats-cluster.ts";

const INSTANCES = 60;
/** A node stays down this long: leaders move, and the node has a backlog to catch up on. */
const DOWN_MS = 5_000;
const WORKFLOW = "faults";
const STEPS = ["a#1", "b#1", "c#1", "go#1", "nap#1"];
const full = FAULTS_SCALE === "full";

let cluster: TestNatsCluster;
let kiln: TestKiln;
let acme: TenantClient;

beforeAll(async () => {
  if (!full) return;
  cluster = await startTestNatsCluster();
  kiln = await startKiln({ nats: cluster, executors: 0, serviceEnv: { KILN_REPLICAS: "3" }, executorEnv: { KILN_HOLD_MS: "100" } });
  acme = await kiln.tenant("acme");
  const deployed = await acme.deploy(WORKFLOW, await fixture("kitchen-sink.ts"));
  expect(deployed.status, JSON.stringify(deployed.body)).toBe(201);
});

afterAll(async () => {
  await kiln?.close();
});

describe.skipIf(!full)("3-node cluster (npm run test:faults)", () => {
  it("completes every instance while a node, then the work stream's leader, is SIGKILLed and restarted", async () => {
    await kiln.spawnExecutor();
    await kiln.spawnExecutor();
    const nc = await cluster.connect();
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info(Streams.work)).config.num_replicas).toBe(3);

    const ids = Array.from({ length: INSTANCES }, (_, i) => `cluster-${i}`);
    const created = await acme.api(
      "POST",
      `/v1/tenants/acme/workflows/${WORKFLOW}/instances/batch`,
      ids.map((id, i) => ({ id, params: { scenario: "chaos", sleep: 300 + 150 * (i % 20) } })),
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const eventPath = (i: number) => `/v1/tenants/acme/workflows/${WORKFLOW}/instances/cluster-${i}/events/go`;
    const third = INSTANCES / 3;
    for (let i = 0; i < third; i++) await sendAccepted(acme.api, eventPath(i), { n: i });

    // A node that does not lead the work stream, then the one that does.
    const leaderOfWork = async () => (await jsm.streams.info(Streams.work)).cluster?.leader;
    const leader = await leaderOfWork();
    const follower = [0, 1, 2].find((node) => cluster.nodeName(node) !== leader)!;
    await cluster.kill(follower);
    for (let i = third; i < 2 * third; i++) await sendAccepted(acme.api, eventPath(i), { n: i });
    await new Promise((resolve) => setTimeout(resolve, DOWN_MS));
    await cluster.start(follower);

    const leaderNow = (await leaderOfWork())!;
    const leaderNode = [0, 1, 2].find((node) => cluster.nodeName(node) === leaderNow)!;
    console.log(`cluster: killed ${cluster.nodeName(follower)} (a follower of ${Streams.work}), then ${leaderNow} (its leader)`);
    await cluster.kill(leaderNode);
    for (let i = 2 * third; i < INSTANCES; i++) await sendAccepted(acme.api, eventPath(i), { n: i });
    await new Promise((resolve) => setTimeout(resolve, DOWN_MS));
    await cluster.start(leaderNode);

    const problems: string[] = [];
    for (const [i, id] of ids.entries()) {
      const view = await acme.waitFor(WORKFLOW, id, isFinished, 240_000);
      const wanted = { instanceId: id, a: 1, b: 3, c: 3 + i };
      if (view.status !== "complete" || JSON.stringify(view.output) !== JSON.stringify(wanted))
        problems.push(`${id}: ${view.status} ${JSON.stringify(view.output)}`);
    }
    const records = await journalStepRecords(nc, "acme", WORKFLOW, ids);
    for (const id of ids) if (JSON.stringify(records.get(id)) !== JSON.stringify(STEPS)) problems.push(`${id}: journal [${records.get(id)?.join(", ")}]`);
    expect(problems).toEqual([]);
  }, 480_000);
});
