/**
 * The instance records in `kiln_instances`. Every write is a compare-and-set on the KV revision: the
 * gateway's lifecycle requests and the executors' progress interleave without losing an update.
 */
import type { KV } from "@nats-io/kv";
import { instanceRef, Keys, type InstanceRecord, type InstanceRef } from "../contract/mod.ts";
import { AlreadyExistsError, isWrongLastSequence, RevisionConflictError } from "./errors.ts";
import { decodeJson, encodeJson } from "./json-codec.ts";

export interface StoredInstance {
  record: InstanceRecord;
  revision: number;
  /** The record's size as stored, in bytes, when this store read or wrote it. */
  bytes?: number;
}

const MAX_CAS_TRIES = 20;

export class InstanceStore {
  constructor(private readonly kv: KV) {}

  async get(ref: InstanceRef): Promise<StoredInstance | undefined> {
    const entry = await this.kv.get(Keys.instance(ref));
    if (!entry || entry.operation !== "PUT" || entry.value.length === 0) return undefined;
    return { record: decodeJson<InstanceRecord>(entry.value), revision: entry.revision, bytes: entry.value.length };
  }

  /**
   * What the record's key holds, removal marks included (`get` reads those as no record): nothing
   * ever, a removed record (with the server's time of removal), or a record (its `createdAt`).
   */
  async trace(ref: InstanceRef): Promise<{ kind: "never" } | { kind: "removed"; at: number } | { kind: "record"; createdAt: number }> {
    const entry = await this.kv.get(Keys.instance(ref));
    if (!entry) return { kind: "never" };
    if (entry.operation !== "PUT" || entry.value.length === 0) return { kind: "removed", at: entry.created.getTime() };
    return { kind: "record", createdAt: decodeJson<InstanceRecord>(entry.value).createdAt };
  }

  /** Writes a new record; `AlreadyExistsError` if the id is taken. */
  async create(record: InstanceRecord): Promise<StoredInstance> {
    try {
      const revision = await this.kv.create(Keys.instance(instanceRef(record)), encodeJson(record));
      return { record, revision };
    } catch (error) {
      if (isWrongLastSequence(error)) throw new AlreadyExistsError(`instance '${record.id}' of workflow '${record.workflow}' already exists`, { cause: error });
      throw error;
    }
  }

  /** One compare-and-set; `RevisionConflictError` if the record changed since `revision`. */
  async replace(record: InstanceRecord, revision: number): Promise<StoredInstance> {
    const value = encodeJson(record);
    try {
      const next = await this.kv.update(Keys.instance(instanceRef(record)), value, revision);
      return { record, revision: next, bytes: value.length };
    } catch (error) {
      if (isWrongLastSequence(error)) throw new RevisionConflictError(`instance '${record.id}' changed concurrently`, { cause: error });
      throw error;
    }
  }

  /**
   * Read-modify-write until it sticks. `change` returns the new record, or `undefined` to leave the
   * record as it is (its answer is then the current record). With `known` (what this process last
   * wrote or read), the first try changes that without reading: one round trip when nobody else
   * wrote since, a read and another try when somebody did. A `known` left as it is is read again
   * and decided on anew: it may be stale, and the answer is the current record.
   */
  async modify(ref: InstanceRef, change: (current: InstanceRecord) => InstanceRecord | undefined, known?: StoredInstance): Promise<StoredInstance | undefined> {
    for (let attempt = 0; attempt < MAX_CAS_TRIES; attempt++) {
      const unread = attempt === 0 && known !== undefined;
      const current = unread ? known : await this.get(ref);
      if (!current) return undefined;
      const next = change(structuredClone(current.record));
      if (next === undefined) {
        if (unread) continue;
        return current;
      }
      try {
        return await this.replace(next, current.revision);
      } catch (error) {
        if (!(error instanceof RevisionConflictError)) throw error;
      }
    }
    throw new RevisionConflictError(`instance '${ref.instance}' kept changing; gave up after ${MAX_CAS_TRIES} tries`);
  }

  /** Purges the record; with `revision`, only if it is still at it (`RevisionConflictError` otherwise). */
  async remove(ref: InstanceRef, revision?: number): Promise<void> {
    try {
      await this.kv.purge(Keys.instance(ref), revision === undefined ? undefined : { previousSeq: revision });
    } catch (error) {
      if (isWrongLastSequence(error)) throw new RevisionConflictError(`instance '${ref.instance}' changed concurrently`, { cause: error });
      throw error;
    }
  }
}
