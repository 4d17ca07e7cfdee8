/**
 * Instance scale: what create, status and list cost one tenant's workflow with a small store
 * (`scaleBaseInstances`) and with a large one (`scaleInstances`), measured in the same run; the
 * design wants the same cost (≤ 1.2×) with 100,000 stored instances as with 1,000.
 *
 * The small store is filled through the HTTP batch API and run by the executor, so its instances are
 * real (record, journal, snapshot, index entry). The large store is filled up to its size directly
 * through the stores the gateway and executor use (InstanceStore.create, JournalStore.commitStep
 * and saveSnapshot, InstanceIndex.add) with copies of one of those real instances: creating 100,000
 * instances through HTTP and running them takes far longer than a benchmark should (the rate is
 * reported). Seeding is never timed. Executors are stopped while timing, so the requests do not
 * share two cores with runs.
 */
import { openKilnResources } from "../../infra/kiln-resources.ts";
import { InstanceIndex } from "../../infra/instance-index.ts";
import { InstanceStore } from "../../infra/instance-store.ts";
import { JournalStore, type InstanceJournal } from "../../infra/journal-store.ts";
import type { InstanceRecord } from "../../contract/mod.ts";
import type { BenchContext } from "../context.ts";
import { figure, type Figure } from "../figures.ts";
import { summarize, timeEach } from "../stats.ts";
import type { BenchParams } from "../workflow.ts";
import { createMany } from "./create-many.ts";

/** A workflow of its own, so the instances other scenarios created are not counted as stored. */
const SCALE_WORKFLOW = "scale";
/** What every stored instance ran: one step, then complete. */
const STORED_PARAMS: BenchParams = { steps: 1 };
/** Direct seeding keeps this many instances in flight (the index groups their entries into few writes). */
const SEED_IN_FLIGHT = 64;
/** Untimed requests before each operation: the first round would otherwise also pay for warming the gateway up. */
const WARMUP_REQUESTS = 20;
const TARGET_RATIO = 1.2;
const PAGE = "50";

interface Operation {
  id: string;
  title: string;
  run(): Promise<unknown>;
}

export async function measureInstanceScale(context: BenchContext, source: string): Promise<Figure[]> {
  const { cluster, tenant, sizes } = context;
  await tenant.deploy(SCALE_WORKFLOW, source);

  // The small store through the API, as tenants fill it; its instances are the template for the rest.
  const stored = context.nextIds("stored", sizes.scaleBaseInstances);
  const httpStarted = performance.now();
  await createMany(tenant, SCALE_WORKFLOW, stored, STORED_PARAMS);
  const httpCreatesPerSecond = stored.length / ((performance.now() - httpStarted) / 1000);
  await Promise.all(stored.map((id) => context.watch.next(id, ["complete"])));
  const httpCompletesPerSecond = stored.length / ((performance.now() - httpStarted) / 1000);

  const resources = await openKilnResources(cluster.nc);
  const stores = {
    instances: new InstanceStore(resources.instances),
    journal: new JournalStore(resources.journal, resources.js, resources.jsm),
    index: new InstanceIndex(resources.index),
  };
  const templateRef = { tenant: tenant.tenant, workflow: SCALE_WORKFLOW, instance: stored[0]! };
  const template = await stores.instances.get(templateRef);
  if (template?.record.status !== "complete")
    throw new Error(`the template instance ${templateRef.instance} is ${template?.record.status ?? "missing"}, not complete`);
  const journal = await stores.journal.load(templateRef, template.record.generation);

  const executorsBefore = cluster.runningExecutors().length;
  await cluster.stopExecutors();
  try {
    // A whole untimed round first: in trials the first round ran up to 1.8× slower than the second
    // on the same store (a gateway and NATS just done with the runs), which would flatter the ratio.
    await timeOperations(context, stored, sizes.scaleSamples);
    const small = await timeOperations(context, stored, sizes.scaleSamples);
    const seedStarted = performance.now();
    const seeded = context.nextIds("seeded", sizes.scaleInstances - stored.length);
    await seedCompleted(stores, template.record, journal, seeded);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    const large = await timeOperations(context, [...stored, ...seeded], sizes.scaleSamples);
    const base = sizes.scaleBaseInstances.toLocaleString("en");
    const size = sizes.scaleInstances.toLocaleString("en");
    const figures: Figure[] = [...small].map(([id, { title, samples }]) => {
      const scaled = figure({
        id: `instance-scale-${id}`,
        title: `${title} with ${size} stored instances vs ${base}`,
        kiln: { label: `${size} stored`, unit: "ms", value: summarize(large.get(id)!.samples) },
        floor: { label: `${base} stored`, unit: "ms", value: summarize(samples) },
      });
      return { ...scaled, target: { text: `p50 ≤ ${TARGET_RATIO}× the ${base}-instance store`, met: scaled.ratio! <= TARGET_RATIO } };
    });
    figures.push({
      ...figure({
        id: "instance-scale-http-seed",
        title: `Filling the store through the HTTP batch API (${base} instances of one step, batches of 100)`,
        kiln: { label: "creates", unit: "ops/s", value: httpCreatesPerSecond },
      }),
      note:
        `${Math.round(httpCompletesPerSecond)} completed/s including the runs, so ${size} would take ~${(sizes.scaleInstances / httpCompletesPerSecond / 60).toFixed(1)} min; ` +
        `the other ${(sizes.scaleInstances - stored.length).toLocaleString("en")} were written directly through the gateway's stores in ${seedSeconds.toFixed(0)} s`,
    });
    return figures;
  } finally {
    for (let i = 0; i < executorsBefore; i++) await cluster.addExecutor();
  }
}

/** The requests timed at each store size: a create, a status, and three kinds of list page. */
function operations(context: BenchContext, stored: readonly string[]): Operation[] {
  const { tenant } = context;
  let cursor: string | undefined;
  return [
    // A random stored instance: at the large size, almost always one far from the newest.
    { id: "status", title: "Status (GET instance)", run: () => tenant.get(SCALE_WORKFLOW, stored[Math.floor(Math.random() * stored.length)]!) },
    { id: "list", title: `List, newest ${PAGE}`, run: () => tenant.list(SCALE_WORKFLOW, { limit: PAGE }) },
    { id: "list-status", title: `List, ${PAGE} complete (status filter)`, run: () => tenant.list(SCALE_WORKFLOW, { limit: PAGE, status: "complete" }) },
    {
      id: "list-cursor",
      title: `List, second page of ${PAGE} (cursor)`,
      run: async () => {
        // The first page's cursor, read once per store size (untimed: the warm-up takes it).
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

/** Each operation's samples (ms) at the store's current size, after a few untimed requests. */
async function timeOperations(context: BenchContext, stored: readonly string[], samples: number): Promise<Map<string, { title: string; samples: number[] }>> {
  const timed = new Map<string, { title: string; samples: number[] }>();
  for (const operation of operations(context, stored)) {
    await timeEach(WARMUP_REQUESTS, () => operation.run());
    timed.set(operation.id, { title: operation.title, samples: await timeEach(samples, () => operation.run()) });
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
