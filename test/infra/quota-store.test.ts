/**
 * The quota store on a real nats-server: several gateways (stores with their own memory) and
 * executors racing on one tenant's count never let it past its limit, and a recount gives back
 * slots leaked by crashes.
 */
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { describe, expect, it } from "vitest";
import { Keys, type QuotaRecord } from "../../contract/mod.ts";
import { decodeJson } from "../../infra/json-codec.ts";
import { liveInstances } from "../../infra/quota/instance-slots.ts";
import { QuotaStore } from "../../infra/quota/quota-store.ts";
import { startTestNats } from "../helpers/nats.ts";

async function openBucket() {
  const nats = await startTestNats();
  const kv = await new Kvm(jetstream(await nats.connect())).create("quota_test", { history: 1 });
  const stored = async (tenant: string) => decodeJson<QuotaRecord>((await kv.get(Keys.quota(tenant)))!.value);
  return { nats, kv, stored };
}

describe("QuotaStore", () => {
  it("admits exactly maxInstances across three gateways racing, and again as executors release", async () => {
    const { nats, kv, stored } = await openBucket();
    await using _ = nats;
    const limits = { maxInstances: 40, createsPerSecond: 100_000 };
    const gateways = [0, 1, 2].map(() => new QuotaStore(kv, { countLive: async () => 0 }));
    const tries = await Promise.all(Array.from({ length: 90 }, (_, i) => gateways[i % 3]!.reserve("acme", { slots: 1, creates: 1 }, limits)));
    expect(tries.filter((admission) => admission.admitted)).toHaveLength(40);
    expect(tries.find((admission) => !admission.admitted)).toMatchObject({ code: "too_many_instances" });

    const executors = [0, 1].map(() => new QuotaStore(kv, { countLive: async () => 0 }));
    await Promise.all(Array.from({ length: 10 }, (_, i) => executors[i % 2]!.release("acme", 1)));
    expect(liveInstances(await stored("acme"))).toBe(30);
    // A gateway that remembers the full record reads again rather than refusing.
    const again = await Promise.all(Array.from({ length: 12 }, () => gateways[0]!.reserve("acme", { slots: 1, creates: 1 }, limits)));
    expect(again.filter((admission) => admission.admitted)).toHaveLength(10);
  });

  it("keeps the count exact with a gateway that holds the records by a watch, one update per change", async () => {
    const { nats, kv, stored } = await openBucket();
    await using _ = nats;
    const gateway = await QuotaStore.open(kv, { countLive: async () => 0 }, (warning) => expect.fail(warning));
    // As executors open it: no watch, a release reads first.
    const executor = new QuotaStore(kv, { countLive: async () => 0 });
    try {
      const limits = { maxInstances: 5, createsPerSecond: 100_000 };
      await gateway.reserve("acme", { slots: 1, creates: 1 }, limits);
      // Create, finish, create again, … as one client in a loop: the watch brings the gateway the executor's release.
      const before = (await kv.get(Keys.quota("acme")))!.revision;
      for (let i = 0; i < 20; i++) {
        await executor.release("acme", 1);
        await expect.poll(() => gateway["latest"]("acme")?.revision).toBe((await kv.get(Keys.quota("acme")))!.revision);
        expect((await gateway.reserve("acme", { slots: 1, creates: 1 }, limits)).admitted).toBe(true);
      }
      // Each change was one update, none refused: a refused compare-and-set leaves no revision, so count revisions.
      expect((await kv.get(Keys.quota("acme")))!.revision - before).toBe(40);
      expect(liveInstances(await stored("acme"))).toBe(1);
      // Racing, the count stays exact all the same (never below zero meanwhile: a release past it would be dropped).
      const roomy = { maxInstances: 1_000, createsPerSecond: 100_000 };
      const reserve = () => gateway.reserve("acme", { slots: 1, creates: 1 }, roomy);
      await Promise.all(Array.from({ length: 15 }, reserve));
      await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? executor.release("acme", 1) : reserve())));
      expect(liveInstances(await stored("acme"))).toBe(16);
    } finally {
      gateway.close();
    }
  });

  it("releases on a record read ahead without reading again, and on a stale one by reading again", async () => {
    const { nats, kv, stored } = await openBucket();
    await using _ = nats;
    const limits = { maxInstances: 100, createsPerSecond: 100_000 };
    const gateway = new QuotaStore(kv, { countLive: async () => 0 });
    const executor = new QuotaStore(kv, { countLive: async () => 0 });
    for (let i = 0; i < 5; i++) await gateway.reserve("acme", { slots: 1, creates: 1 }, limits);
    let gets = 0;
    const get = kv.get.bind(kv);
    kv.get = (...args: Parameters<typeof kv.get>) => {
      gets++;
      return get(...args);
    };
    try {
      // As an executor finishes an instance: the read goes out beside the record write, the release is one update.
      const ahead = executor.readAhead("acme");
      await ahead.stored;
      const readsBefore = gets;
      await executor.release("acme", 1, ahead);
      expect(gets - readsBefore).toBe(0);
      expect(liveInstances(await stored("acme"))).toBe(4);
      // A gateway reserves between the read and the release: the update on the stale record is refused, and read again.
      const stale = executor.readAhead("acme");
      await stale.stored;
      await gateway.reserve("acme", { slots: 1, creates: 1 }, limits);
      await executor.release("acme", 1, stale);
      expect(liveInstances(await stored("acme"))).toBe(4);
      // Another tenant's read-ahead is not used.
      await executor.release("acme", 1, executor.readAhead("globex"));
      expect(liveInstances(await stored("acme"))).toBe(3);
      // Instances finishing together: every read goes out at once, and the releases go out as one update.
      let updates = 0;
      const update = kv.update.bind(kv);
      kv.update = (...args: Parameters<typeof kv.update>) => {
        updates++;
        return update(...args);
      };
      const aheads = [0, 1, 2].map(() => executor.readAhead("acme"));
      await Promise.all(aheads.map((readAhead) => executor.release("acme", 1, readAhead)));
      expect(updates).toBe(1);
      expect(liveInstances(await stored("acme"))).toBe(0);
      // Releases made while one is in flight wait for it, then go out together on the record it
      // wrote: two updates for five, whatever their read-aheads found.
      for (let i = 0; i < 5; i++) await gateway.reserve("acme", { slots: 1, creates: 1 }, limits);
      updates = 0;
      const first = executor.release("acme", 1, executor.readAhead("acme"));
      await Promise.resolve();
      const rest = [0, 1, 2, 3].map(() => executor.release("acme", 1, executor.readAhead("acme")));
      await Promise.all([first, ...rest]);
      kv.update = update;
      expect(updates).toBe(2);
      expect(liveInstances(await stored("acme"))).toBe(0);
    } finally {
      kv.get = get;
    }
  });

  it("refuses creates past createsPerSecond across gateways", async () => {
    const { nats, kv } = await openBucket();
    await using _ = nats;
    const limits = { maxInstances: 1_000, createsPerSecond: 5 };
    const gateways = [0, 1].map(() => new QuotaStore(kv, { countLive: async () => 0, now: () => 1_000 }));
    const tries = await Promise.all(Array.from({ length: 8 }, (_, i) => gateways[i % 2]!.reserve("acme", { slots: 1, creates: 1 }, limits)));
    expect(tries.filter((admission) => admission.admitted)).toHaveLength(5);
    expect(tries.find((admission) => !admission.admitted)).toMatchObject({ code: "create_rate_exceeded", retryAfterMs: 200 });
  });

  it("starts a tenant's count from its instance records", async () => {
    const { nats, kv, stored } = await openBucket();
    await using _ = nats;
    const store = new QuotaStore(kv, { countLive: async () => 7 });
    await store.reserve("acme", { slots: 1, creates: 1 }, { maxInstances: 10, createsPerSecond: 10 });
    expect(liveInstances(await stored("acme"))).toBe(8);
  });

  it("recounts a tenant at its limit and gives back slots that leaked", async () => {
    const { nats, kv, stored } = await openBucket();
    await using _ = nats;
    let live = 3;
    let now = 1_000_000;
    const store = new QuotaStore(kv, { countLive: async () => live, now: () => now, reconcileGraceMs: 0, reconcileEveryMs: 60_000 });
    const limits = { maxInstances: 5, createsPerSecond: 100 };
    for (let i = 0; i < 2; i++) expect((await store.reserve("acme", { slots: 1, creates: 1 }, limits)).admitted).toBe(true);
    // Two of the five finished on an executor that died before it gave their slots back.
    live = 3;
    expect((await store.reserve("acme", { slots: 1, creates: 1 }, limits)).admitted).toBe(false);
    now += 61_000;
    await store.reconcile("acme");
    expect(liveInstances(await stored("acme"))).toBe(3);
    expect((await store.reserve("acme", { slots: 2, creates: 2 }, limits)).admitted).toBe(true);
  });

  it("starts the recount itself when it refuses a tenant not recounted for a while", async () => {
    const { nats, kv, stored } = await openBucket();
    await using _ = nats;
    let now = 1_000_000;
    const store = new QuotaStore(kv, { countLive: async () => 0, now: () => now, reconcileGraceMs: 0 });
    const limits = { maxInstances: 2, createsPerSecond: 100 };
    for (let i = 0; i < 2; i++) await store.reserve("acme", { slots: 1, creates: 1 }, limits);
    // Both leaked; a refusal within the minute does not recount, one after it does.
    expect((await store.reserve("acme", { slots: 1, creates: 1 }, limits)).admitted).toBe(false);
    expect((await stored("acme")).reconciledAt).toBe(1_000_000);
    now += 61_000;
    expect((await store.reserve("acme", { slots: 1, creates: 1 }, limits)).admitted).toBe(false);
    await expect.poll(async () => liveInstances(await stored("acme"))).toBe(0);
    expect((await store.reserve("acme", { slots: 2, creates: 2 }, limits)).admitted).toBe(true);
  });
});
