/**
 * The instance records this executor wrote as it suspended instances on a timer (a sleep, a retry's
 * backoff), kept for the claim of the message that brings each back: that claim is then one
 * compare-and-set on the remembered revision instead of a read and a write. A record changed since
 * (a pause, a terminate, another executor) only costs the refused write and a read, as any lost
 * compare-and-set does; nothing is decided on a remembered record but a claim, which that write checks.
 *
 * Bounded by count and by size, oldest out first: an executor holding thousands of sleeping
 * instances keeps the most recent, and its memory does not grow with them.
 */
import { instanceRef, Keys, type InstanceRef } from "../contract/mod.ts";
import type { StoredInstance } from "../infra/instance-store.ts";

export interface SuspendedRecordsOptions {
  /** @default 1_000 */
  maxRecords?: number;
  /** @default 4 MiB */
  maxBytes?: number;
}

/** What a record without a known size is counted as. */
const ASSUMED_BYTES = 2_048;

export class SuspendedRecords {
  private readonly byKey = new Map<string, StoredInstance & { bytes: number }>();
  private bytes = 0;
  private readonly maxRecords: number;
  private readonly maxBytes: number;

  constructor(options: SuspendedRecordsOptions = {}) {
    this.maxRecords = options.maxRecords ?? 1_000;
    this.maxBytes = options.maxBytes ?? 4 * 2 ** 20;
  }

  /** Remembers the record as written, in place of any older one of the same instance. */
  keep(stored: StoredInstance): void {
    const key = Keys.instance(instanceRef(stored.record));
    this.drop(key);
    const bytes = stored.bytes ?? ASSUMED_BYTES;
    if (bytes > this.maxBytes / 8) return;
    this.byKey.set(key, { ...stored, bytes });
    this.bytes += bytes;
    for (const [oldest, kept] of this.byKey) {
      if (this.byKey.size <= this.maxRecords && this.bytes <= this.maxBytes) break;
      this.byKey.delete(oldest);
      this.bytes -= kept.bytes;
    }
  }

  /** The remembered record, forgotten as it is handed out: it is used once, by one claim. */
  take(ref: InstanceRef): StoredInstance | undefined {
    const key = Keys.instance(ref);
    const kept = this.byKey.get(key);
    this.drop(key);
    return kept;
  }

  get size(): number {
    return this.byKey.size;
  }

  private drop(key: string): void {
    const kept = this.byKey.get(key);
    if (!kept) return;
    this.byKey.delete(key);
    this.bytes -= kept.bytes;
  }
}
