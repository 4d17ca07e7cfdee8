/**
 * The tenants' quota records in `kiln_quotas`: gateways reserve slots and create tokens before they
 * create instances, gateways and executors release slots when they make instances final. Every
 * change is a compare-and-set on the record's KV revision, so several gateways and executors keep
 * one exact count without a lock; the decisions themselves are the pure functions beside this file.
 *
 * Cost per create: one KV update when the record this process holds is still current (one more get
 * and update per concurrent writer it lost to), whatever the number of stored instances. A gateway
 * holds the records by a watch on the bucket (`QuotaStore.open`), so what an executor released a
 * moment ago is current in it: before the watch, each create's first update was refused (the
 * executor had released since), then read and written again. A release without the watch reads
 * first (a gateway reserved since, almost always); with it, it is one update too.
 * Within one process the changes to a tenant's record go one at a time: 32 concurrent creates
 * racing each other would cost ~32²/2 failed compare-and-sets, one after another ~32 updates.
 * Releases queued behind a change go out together as one update: a tenant's instances finishing
 * faster than one update's round trip would otherwise queue ever longer behind each other.
 * Only a reconciliation reads every instance record of the tenant, at most once a minute and only
 * while the tenant is at its limit.
 */
import type { KV } from "@nats-io/kv";
import { CREATE_DEADLINE_MS, Keys, type QuotaRecord } from "../../contract/mod.ts";
import { isWrongLastSequence, RevisionConflictError } from "../errors.ts";
import { decodeJson, encodeJson } from "../json-codec.ts";
import { KvMirror } from "../kv-mirror.ts";
import { componentLogger } from "../logger.ts";
import { decideAdmission, type Admission, type AdmissionRequest, type CreateLimits } from "./admission.ts";
import { reconcileSlots, releaseDiscardedStart, releaseSlots } from "./instance-slots.ts";
import { fullBucket } from "./token-bucket.ts";
import { delay } from "../delay.ts";

export interface QuotaStoreOptions {
  /** How many of the tenant's instances are live now, read from the instance records (a full scan). */
  countLive: (tenant: string) => Promise<number>;
  /** @default Date.now */
  now?: () => number;
  /** A tenant at its limit is recounted at most this often. @default 60_000 */
  reconcileEveryMs?: number;
  /**
   * How long a recount waits before and after its scan, so that a create or a finish that was
   * half-way (slot taken but record not written yet, or record final but slot not given back) when
   * the scan passed is complete on both counts. A gateway writes a record within
   * `CREATE_DEADLINE_MS` of taking its slot or never (contract/create-order.ts), so after that
   * wait no create is half-way; a finish is given as long. @default CREATE_DEADLINE_MS (10 s)
   */
  reconcileGraceMs?: number;
}

interface Stored {
  record: QuotaRecord;
  revision: number;
}

/**
 * The later of a record read ahead and what this process wrote since: releases queued behind
 * each other (`serially`) read ahead at once, and each but the first finds the one before it wrote.
 */
function newest(ahead: Stored | undefined, known: Stored | undefined): Stored | undefined {
  return ahead && known && known.revision > ahead.revision ? known : ahead;
}

/** A tenant's quota record being read ahead of a release (`QuotaStore.readAhead`). */
export interface QuotaReadAhead {
  readonly tenant: string;
  readonly stored: Promise<Stored | undefined>;
}

/** Releases of one tenant's slots waiting for their turn (`QuotaStore.release`). */
interface WaitingRelease {
  count: number;
  /** The latest read ahead among them: the freshest record this process has asked for. */
  readAhead: QuotaReadAhead | undefined;
  done: Promise<void>;
}

const MAX_CAS_TRIES = 50;

export class QuotaStore {
  private readonly now: () => number;
  private readonly reconcileEveryMs: number;
  private readonly reconcileGraceMs: number;
  /** This process's last read or write of each tenant's record: a change tries its update on it first. */
  private readonly known = new Map<string, Stored>();
  private readonly reconciling = new Set<string>();
  /** The last change queued for each tenant's record in this process. */
  private readonly queues = new Map<string, Promise<unknown>>();
  /** Per tenant, the releases queued behind the change in flight: they go out as one update. */
  private readonly waitingReleases = new Map<string, WaitingRelease>();

  /** Without `mirror`, only this process's own reads and writes are held. */
  constructor(
    private readonly kv: KV,
    private readonly options: QuotaStoreOptions,
    private readonly mirror?: KvMirror<QuotaRecord>,
  ) {
    this.now = options.now ?? Date.now;
    this.reconcileEveryMs = options.reconcileEveryMs ?? 60_000;
    this.reconcileGraceMs = options.reconcileGraceMs ?? CREATE_DEADLINE_MS;
  }

  /** A store that holds every tenant's record by a watch on the bucket; `close()` stops it. */
  static async open(kv: KV, options: QuotaStoreOptions, warn: (message: string) => void): Promise<QuotaStore> {
    const mirror = await KvMirror.open({ kv, filter: Keys.allQuotas, parse: (value) => decodeJson<QuotaRecord>(value), warn });
    return new QuotaStore(kv, options, mirror);
  }

  close(): void {
    this.mirror?.close();
  }

  /**
   * Takes `request.slots` live-instance slots and `request.creates` create tokens, or neither. A
   * refusal says which limit, for how long, and what to do.
   */
  reserve(tenant: string, request: AdmissionRequest, limits: CreateLimits): Promise<Admission> {
    return this.serially(tenant, () => this.reserveNow(tenant, request, limits));
  }

  /**
   * Gives `count` slots back: instances made final, or reserved for creates that failed. With a
   * `readAhead` of this tenant's record, its first compare-and-set tries that record instead of
   * reading one now. Releases made while the tenant's record is being changed are added up and
   * written together when that change is done (each resolves, or rejects, with that one write).
   */
  release(tenant: string, count: number, readAhead?: QuotaReadAhead): Promise<void> {
    if (count <= 0) return Promise.resolve();
    const waiting = this.waitingReleases.get(tenant);
    if (waiting) {
      waiting.count += count;
      if (readAhead) waiting.readAhead = readAhead;
      return waiting.done;
    }
    const batch: WaitingRelease = { count, readAhead, done: Promise.resolve() };
    this.waitingReleases.set(tenant, batch);
    batch.done = this.serially(tenant, () => {
      // Its turn: releases from now on wait for the next one.
      this.waitingReleases.delete(tenant);
      return this.releaseNow(tenant, batch.count, batch.readAhead);
    });
    return batch.done;
  }

  /**
   * Starts the read a `release` makes first, before it is known whether there will be one: an
   * executor reads while it writes the instance record that decides it, so the release is one
   * round trip instead of two on every instance's finish. `undefined` where the store holds a watch
   * (it reads nothing), or when the read fails (the release reads again).
   */
  readAhead(tenant: string): QuotaReadAhead {
    return { tenant, stored: this.mirror ? Promise.resolve(undefined) : this.get(tenant).catch(() => undefined) };
  }

  /**
   * Gives back the slot of a start message discarded without its record, created at `createdAt`,
   * unless a recount may have done so already (see `releaseDiscardedStart`). Resolves whether it did.
   */
  releaseDiscardedStart(tenant: string, createdAt: number): Promise<boolean> {
    return this.serially(tenant, async () => {
      for (let attempt = 0; attempt < MAX_CAS_TRIES; attempt++) {
        const stored = await this.get(tenant);
        const next = stored && releaseDiscardedStart(stored.record, createdAt);
        if (!stored || !next) return false;
        if (await this.write(tenant, next, stored.revision)) return true;
      }
      throw new RevisionConflictError(`the quota of tenant '${tenant}' kept changing; gave up releasing a slot after ${MAX_CAS_TRIES} tries`);
    });
  }

  private async reserveNow(tenant: string, request: AdmissionRequest, limits: CreateLimits): Promise<Admission> {
    let stored = this.latest(tenant);
    let fresh = false;
    for (let attempt = 0; attempt < MAX_CAS_TRIES; attempt++) {
      if (!stored) {
        stored = await this.read(tenant, limits);
        fresh = true;
      }
      const decision = decideAdmission(stored.record, request, limits, this.now());
      if (!decision.admitted) {
        // A refusal on a remembered record may be out of date: executors give slots back meanwhile.
        if (!fresh) {
          stored = undefined;
          continue;
        }
        if (decision.code === "too_many_instances") this.reconcileLater(tenant, stored.record);
        return decision;
      }
      const written = await this.write(tenant, decision.next, stored.revision);
      if (written) return decision;
      stored = undefined;
    }
    throw new RevisionConflictError(`the quota of tenant '${tenant}' kept changing; gave up after ${MAX_CAS_TRIES} tries, try again`);
  }

  private async releaseNow(tenant: string, count: number, readAhead: QuotaReadAhead | undefined): Promise<void> {
    for (let attempt = 0; attempt < MAX_CAS_TRIES; attempt++) {
      // Without the watch, what this process holds is stale after any create: read first (or ahead).
      const ahead = attempt === 0 && readAhead?.tenant === tenant ? newest(await readAhead.stored, this.known.get(tenant)) : undefined;
      const stored = (attempt === 0 && this.mirror && this.latest(tenant)) || ahead || (await this.get(tenant));
      // No record yet: the first reservation counts what is live then, this instance excluded.
      if (!stored) return;
      if (await this.write(tenant, releaseSlots(stored.record, count), stored.revision)) return;
    }
    throw new RevisionConflictError(`the quota of tenant '${tenant}' kept changing; gave up releasing ${count} slots after ${MAX_CAS_TRIES} tries`);
  }

  /**
   * Recounts the tenant's live instances and gives back slots leaked by crashes (see
   * `reconcileSlots`). One gateway at a time: claiming it is a compare-and-set of `reconciledAt`.
   */
  async reconcile(tenant: string): Promise<void> {
    let atStart: QuotaRecord | undefined;
    for (let attempt = 0; attempt < MAX_CAS_TRIES && !atStart; attempt++) {
      const stored = await this.get(tenant);
      if (!stored || this.now() - stored.record.reconciledAt < this.reconcileEveryMs) return;
      const now = this.now();
      const claimed = { ...stored.record, reconciledAt: now, recountedAt: now };
      if (await this.write(tenant, claimed, stored.revision)) atStart = claimed;
    }
    if (!atStart) return;
    await delay(this.reconcileGraceMs);
    const counted = await this.options.countLive(tenant);
    await delay(this.reconcileGraceMs);
    for (let attempt = 0; attempt < MAX_CAS_TRIES; attempt++) {
      const stored = await this.get(tenant);
      if (!stored) return;
      if (await this.write(tenant, reconcileSlots(atStart, counted, stored.record), stored.revision)) return;
    }
  }

  private reconcileLater(tenant: string, record: QuotaRecord): void {
    if (this.reconciling.has(tenant) || this.now() - record.reconciledAt < this.reconcileEveryMs) return;
    this.reconciling.add(tenant);
    this.reconcile(tenant)
      .catch((err: unknown) => componentLogger("quota").warn({ tenant, err }, "recounting the tenant's instances failed; the next refusal tries again"))
      .finally(() => this.reconciling.delete(tenant));
  }

  /**
   * The record, created on first use from a count of the instance records, so a tenant with
   * instances from before quotas (or from before the bucket was lost) starts with the right count.
   */
  private async read(tenant: string, limits: CreateLimits): Promise<Stored> {
    for (let attempt = 0; attempt < MAX_CAS_TRIES; attempt++) {
      const stored = await this.get(tenant);
      if (stored) return stored;
      const now = this.now();
      const record: QuotaRecord = {
        v: 1,
        admitted: await this.options.countLive(tenant),
        released: 0,
        ...fullBucket(limits.createsPerSecond, now),
        reconciledAt: now,
        recountedAt: 0,
      };
      try {
        const revision = await this.kv.create(Keys.quota(tenant), encodeJson(record));
        return this.remember(tenant, { record, revision });
      } catch (error) {
        if (!isWrongLastSequence(error)) throw error;
        // Another gateway counted first: use its record.
      }
    }
    throw new RevisionConflictError(`the quota of tenant '${tenant}' could not be created; try again`);
  }

  private async get(tenant: string): Promise<Stored | undefined> {
    const entry = await this.kv.get(Keys.quota(tenant));
    if (!entry || entry.operation !== "PUT" || entry.value.length === 0) {
      this.known.delete(tenant);
      return undefined;
    }
    return this.remember(tenant, { record: decodeJson<QuotaRecord>(entry.value), revision: entry.revision });
  }

  /** One compare-and-set; false if another writer came first (the remembered record is then dropped). */
  private async write(tenant: string, record: QuotaRecord, revision: number): Promise<boolean> {
    try {
      this.remember(tenant, { record, revision: await this.kv.update(Keys.quota(tenant), encodeJson(record), revision) });
      return true;
    } catch (error) {
      if (!isWrongLastSequence(error)) throw error;
      this.known.delete(tenant);
      return false;
    }
  }

  /** The newest record held for the tenant: from the watch, or this process's own last read or write. */
  private latest(tenant: string): Stored | undefined {
    const known = this.known.get(tenant);
    const watched = this.mirror?.heldEntry(Keys.quota(tenant));
    if (watched && (!known || watched.revision > known.revision)) return { record: watched.value, revision: watched.revision };
    return known;
  }

  private serially<T>(tenant: string, change: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(tenant) ?? Promise.resolve();
    const next = previous.then(change, change);
    const settled = next.catch(() => undefined);
    this.queues.set(tenant, settled);
    void settled.then(() => {
      if (this.queues.get(tenant) === settled) this.queues.delete(tenant);
    });
    return next;
  }

  /**
   * Holds `stored` unless this process already holds a later revision of the record: a read sent
   * before a write can be answered after it (nats-server answers KV gets and stream writes on
   * separate paths), and holding its older record then made the next change's compare-and-set fail.
   */
  private remember(tenant: string, stored: Stored): Stored {
    const known = this.known.get(tenant);
    if (!known || stored.revision >= known.revision) this.known.set(tenant, stored);
    return stored;
  }
}
