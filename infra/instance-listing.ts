/**
 * `GET …/workflows/:w/instances`: newest first, from the instance index (instance-index.ts), with
 * filters on status and creation time. A page examines at most `MAX_EXAMINED` index entries, so a
 * filter that matches little answers a short page with a cursor instead of walking 100,000 records in
 * one request; the client follows the cursor.
 */
import type { InstanceRecord, InstanceStatus } from "../contract/mod.ts";
import { decodeCursor, encodeCursor, endOfPreviousChunk, newestPosition, type IndexEntry, type IndexPosition } from "./index-chunks.ts";
import type { InstanceIndex } from "./instance-index.ts";
import type { InstanceStore } from "./instance-store.ts";

export interface ListOptions {
  status?: InstanceStatus;
  /** Epoch ms: only instances created strictly after / before. */
  createdAfter?: number;
  createdBefore?: number;
  limit: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface InstancePage {
  instances: InstanceRecord[];
  /** Pass as `cursor` to read on; absent when the listing is done. */
  nextCursor?: string;
}

/** Index entries one page may look at (each may cost a record read). */
export const MAX_EXAMINED = 1_000;

/**
 * The index is in indexing order, which follows creation time up to the clocks of several gateways
 * and a group commit: a listing bounded by `createdAfter` stops only this far past it.
 */
const CLOCK_SKEW_MS = 60_000;

/** Records are read this many at a time. */
const READ_BATCH = 50;

export class InvalidCursorError extends Error {
  override name = "InvalidCursorError";
}

/**
 * The record an index entry stands for, or `undefined`. An entry is written before its record
 * (contract/create-order.ts), so an entry may have no record: its create failed or its gateway died,
 * or the instance was deleted or expired since. And a record of the same id may be another create's
 * (the id was taken, or deleted and created again): it has its own entry, so this one shows nothing,
 * and no instance is listed twice. Records and entries of one create share their `createdAt`.
 */
export function indexedRecord([, createdAt]: IndexEntry, record: InstanceRecord): InstanceRecord | undefined {
  return record.createdAt === createdAt ? record : undefined;
}

export async function listInstances(store: InstanceStore, index: InstanceIndex, tenant: string, workflow: string, options: ListOptions): Promise<InstancePage> {
  const head = await index.head(tenant, workflow);
  let position: IndexPosition = newestPosition(head);
  if (options.cursor !== undefined) {
    const decoded = decodeCursor(options.cursor);
    if (!decoded || decoded.chunk > head.chunk)
      throw new InvalidCursorError(`invalid cursor '${options.cursor}': pass the cursor of the previous page as it came`);
    position = decoded;
  }
  const chunks = new Map<number, readonly IndexEntry[]>();
  const entriesOf = async (chunk: number) => {
    let entries = chunks.get(chunk);
    if (!entries) chunks.set(chunk, (entries = await index.chunk(tenant, workflow, head, chunk)));
    return entries;
  };
  const instances: InstanceRecord[] = [];
  let examined = 0;
  let done = false;
  const { createdAfter, createdBefore } = options;
  while (instances.length < options.limit && examined < MAX_EXAMINED && !done) {
    // The next entries to look at, newest first, crossing into older chunks as needed. No more than
    // the page still lacks: each adds at most one instance, so a page never reads past its end.
    const wanted = Math.min(READ_BATCH, options.limit - instances.length);
    const candidates: IndexEntry[] = [];
    while (candidates.length < wanted && examined < MAX_EXAMINED) {
      if (position.index === 0) {
        if (position.chunk === 0) {
          done = true;
          break;
        }
        position = endOfPreviousChunk(position.chunk);
        continue;
      }
      const entries = await entriesOf(position.chunk);
      const entry = entries[position.index - 1];
      position = { chunk: position.chunk, index: position.index - 1 };
      if (!entry) continue;
      examined++;
      const [, createdAt] = entry;
      if (createdAfter !== undefined && createdAt < createdAfter - CLOCK_SKEW_MS) {
        done = true;
        break;
      }
      if (createdBefore !== undefined && createdAt >= createdBefore) continue;
      if (createdAfter !== undefined && createdAt <= createdAfter) continue;
      candidates.push(entry);
    }
    const stored = await Promise.all(candidates.map(([id]) => store.get({ tenant, workflow, instance: id })));
    stored.forEach((found, i) => {
      const record = found && indexedRecord(candidates[i]!, found.record);
      if (record && (options.status === undefined || record.status === options.status)) instances.push(record);
    });
  }
  const more = !done && (position.chunk > 0 || position.index > 0);
  return more ? { instances, nextCursor: encodeCursor(position) } : { instances };
}
