/**
 * Instance scale: what create, status and list cost one tenant's workflow with a small store
 * (`scaleBaseInstances`) and with a large one (`scaleInstances`); the design wants the same cost
 * (≤ 1.2×) with 100,000 stored instances as with 1,000.
 *
 * The two stores are two fresh Kilns (nats-server and gateway each) set up alike, and every sample
 * times one request against each, in alternating order: on a shared 2-core machine the load of
 * other work swings several-fold within minutes, so timing one store after the other measured that
 * swing (0.1× to 1.3× in trials), not the store.
 *
 * Both are filled directly through the stores the gateway and executor use (InstanceStore.create,
 * JournalStore.commitStep and saveSnapshot, InstanceIndex.add) with copies of one real instance,
 * created through the HTTP batch API and run by the executor in the run's own cluster together with
 * `scaleBaseInstances` others: creating 100,000 instances through HTTP and running them takes far
 * longer than a benchmark should (that rate is reported). Seeding is never timed. The run's
 * executors are stopped while timing, so the requests do not share two cores with runs.
 */
import { BenchCluster } from "../cluster.ts";
import { openKilnResources } from "../../infra/kiln-resources.ts";
import { InstanceIndex } from "../../infra/instance-index.ts";
import { InstanceStore } from "../../infra/instance-store.ts";
import { JournalStore, type InstanceJournal } from "../../infra/journal-store.ts";
import type { InstanceRecord } from "../../contract/mod.ts";
import type { BenchContext } from "../context.ts";
import { figure, type Figure } from "../figures.ts";
import type { TenantClient } from "../kiln-client.ts";
import { summarize, timeEach } from "../stats.ts";
import type { BenchParams } from "../workflow.ts";
import { createMany } from "./create-many.ts";

/** A workflow of its own, so the instances other scenarios created are not counted as stored. */
const SCALE_WORKFLOW = "scale";
/** What every stored instance ran: one step, then complete. */
const STORED_PARAMS: BenchParams = { steps: 1 };
/** Direct seeding keeps this many instances in flight (the index groups their entries into few writes). */
const SEED_IN_FLIGHT = 64;
/** Untimed requests before each operation: a gateway's first requests also pay for warming it up. */
const WARMUP_REQUESTS = 20;
const TARGET_RATIO = 1.2;
const PAGE = 50;

interface Operation {
  id: string;
  title: string;
  run(): Promise<unknown>;
}

/** One store under test: the tenant's client on its gateway, and the ids of its stored instances. */
interface Store {
  tenant: TenantClient;
  stored: readonly string[];
}

export async function measureInstanceScale(context: BenchContext, source: string): Promise<Figure[]> {
  const { cluster, tenant, sizes } = context;
  await tenant.deploy(SCALE_WORKFLOW, source);

  // Instances through the API, as tenants create them: one of them is the template the stores are filled with.
  const stored = context.nextIds("http", sizes.scaleBaseInstances);
  const httpStarted = performance.now();
  await createMany(tenant, SCALE_WORKFLOW, stored, STORED_PARAMS);
  const httpCreatesPerSecond = stored.length / ((performance.now() - httpStarted) / 1000);
  await Promise.all(stored.map((id) => context.watch.next(id, ["complete"])));
  const httpCompletesPerSecond = stored.length / ((performance.now() - httpStarted) / 1000);
  const template = await readTemplate(context, stored[0]!);

  const executorsBefore = cluster.runningExecutors().length;
  await cluster.stopExecutors();
  const kilns: BenchCluster[] = [];
  try {
    // Two fresh Kilns set up alike, so that the number of stored instances is their one difference.
    for (let i = 0; i < 2; i++) kilns.push(await BenchCluster.start(cluster.launcher));
    const seedSeconds: number[] = [];
    const [small, large] = await Promise.all(
      kilns.map(async (kiln, i) => {
        const storeTenant = await kiln.admin.createTenant(tenant.tenant);
        const { version } = await storeTenant.deploy(SCALE_WORKFLOW, source);
        const ids = context.nextIds("stored", i === 0 ? sizes.scaleBaseInstances : sizes.scaleInstances);
        return { tenant: storeTenant, stored: ids, version };
      }),
    );
    for (const [i, store] of [small!, large!].entries()) {
      const seedStarted = performance.now();
      await seedCompleted(await storesOf(kilns[i]!), { ...template.record, version: store.version }, template.journal, store.stored);
      seedSeconds.push((performance.now() - seedStarted) / 1000);
    }
    const timed = await timeSideBySide(context, small!, large!, sizes.scaleSamples);
    const base = sizes.scaleBaseInstances.toLocaleString("en");
    const size = sizes.scaleInstances.toLocaleString("en");
    const figures: Figure[] = timed.map(({ id, title, small, large }) => {
      const scaled = figure({
        id: `instance-scale-${id}`,
        title: `${title} with ${size} stored instances vs ${base}`,
        kiln: { label: `${size} stored`, unit: "ms", value: summarize(large) },
        floor: { label: `${base} stored`, unit: "ms", value: summarize(small) },
      });
      return { ...scaled, target: { text: `p50 ≤ ${TARGET_RATIO}× the ${base}-instance store`, met: scaled.ratio! <= TARGET_RATIO } };
    });
    figures.push({
      ...figure({
        id: "instance-scale-http-seed",
        title: `Creating instances through the HTTP batch API (${base} instances of one step, batches of 100)`,
        kiln: { label: "creates", unit: "ops/s", value: httpCreatesPerSecond },
      }),
      note:
        `${Math.round(httpCompletesPerSecond)} completed/s including the runs, so ${size} would take ~${(sizes.scaleInstances / httpCompletesPerSecond / 60).toFixed(1)} min; ` +
        `both stores were written directly through the gateway's stores (${base} in ${seedSeconds[0]!.toFixed(0)} s, ${size} in ${seedSeconds[1]!.toFixed(0)} s)`,
    });
    return figures;
  } finally {
    await Promise.all(kilns.map((kiln) => kiln.close()));
    for (let i = 0; i < executorsBefore; i++) await cluster.addExecutor();
  }
}

/** The gateway's own stores, on a Kiln's NATS. */
async function storesOf(cluster: BenchCluster) {
  const resources = await openKilnResources(cluster.nc);
  return {
    instances: new InstanceStore(resources.instances),
    journal: new JournalStore(resources.journal, resources.js, resources.jsm),
    index: new InstanceIndex(resources.index),
  };
}

/** A complete instance as the executor left it (record and journal): what both stores are filled with copies of. */
async function readTemplate(context: BenchContext, instance: string): Promise<{ record: InstanceRecord; journal: InstanceJournal }> {
  const stores = await storesOf(context.cluster);
  const ref = { tenant: context.tenant.tenant, workflow: SCALE_WORKFLOW, instance };
  const template = await stores.instances.get(ref);
  if (template?.record.status !== "complete") throw new Error(`the template instance ${instance} is ${template?.record.status ?? "missing"}, not complete`);
  return { record: template.record, journal: await stores.journal.load(ref, template.record.generation) };
}

/** The requests timed against a store: a status, three kinds of list page, and a create. */
function operations(context: BenchContext, { tenant, stored }: Store): Operation[] {
  let cursor: string | undefined;
  return [
    // A random stored instance: in the large store, almost always one far from the newest.
    { id: "status", title: "Status (GET instance)", run: () => tenant.get(SCALE_WORKFLOW, stored[Math.floor(Math.random() * stored.length)]!) },
    { id: "list", title: `List, newest ${PAGE}`, run: () => tenant.list(SCALE_WORKFLOW, { limit: PAGE }) },
    { id: "list-status", title: `List, ${PAGE} complete (status filter)`, run: () => tenant.list(SCALE_WORKFLOW, { limit: PAGE, status: "complete" }) },
    {
      id: "list-cursor",
      title: `List, second page of ${PAGE} (cursor)`,
      run: async () => {
        // The first page's cursor, read once (untimed: the warm-up takes it).
        cursor ??= (await tenant.list(SCALE_WORKFLOW, { limit: PAGE })).cursor;
        if (!cursor) throw new Error("the first page of the listing has no cursor");
        return tenant.list(SCALE_WORKFLOW, { limit: PAGE, cursor });
      },
    },
    // Last: the instances it creates stay queued (executors are stopped) and come first in the
    // listing, so a filtered listing timed after it would pass over them.
    { id: "create", title: "Create (HTTP, one instance)", run: () => tenant.create(SCALE_WORKFLOW, context.nextId("scale-create"), STORED_PARAMS) },
  ];
}

/** Each operation timed `samples` times against both stores: one request to each per sample. */
async function timeSideBySide(
  context: BenchContext,
  smallStore: Store,
  largeStore: Store,
  samples: number,
): Promise<Array<{ id: string; title: string; small: number[]; large: number[] }>> {
  const large = operations(context, largeStore);
  const timed: Array<{ id: string; title: string; small: number[]; large: number[] }> = [];
  for (const [index, small] of operations(context, smallStore).entries()) {
    const pair = [small, large[index]!];
    const durations: [number[], number[]] = [[], []];
    await timeEach(WARMUP_REQUESTS, () => Promise.all(pair.map((operation) => operation.run())));
    for (let i = 0; i < samples; i++) {
      // Which store goes first alternates, so neither always runs right after the other's request.
      for (const side of i % 2 === 0 ? [0, 1] : [1, 0]) {
        const started = performance.now();
        await pair[side]!.run();
        durations[side]!.push(performance.now() - started);
      }
    }
    timed.push({ id: small.id, title: small.title, small: durations[0], large: durations[1] });
  }
  return timed;
}

/**
 * Writes complete instances like `template`: its record, its journal's steps and the snapshot its
 * last activation saved, indexed as the gateway indexes a create.
 */
async function seedCompleted(
  stores: { instances: InstanceStore; journal: JournalStore; index: InstanceIndex },
  template: InstanceRecord,
  journal: InstanceJournal,
  ids: readonly string[],
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: SEED_IN_FLIGHT }, async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        const now = Date.now();
        const record: InstanceRecord = { ...template, id, createdAt: now, updatedAt: now };
        const ref = { tenant: record.tenant, workflow: record.workflow, instance: id };
        await stores.instances.create(record);
        await Promise.all([
          ...journal.steps.map((step) => stores.journal.commitStep(ref, record.generation, step)),
          ...(record.activations === undefined ? [] : [stores.journal.saveSnapshot(ref, record.generation, record.activations, journal)]),
          stores.index.add(ref.tenant, ref.workflow, id, now),
        ]);
      }
    }),
  );
}
