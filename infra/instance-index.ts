/**
 * Each workflow's instances in creation order, in KV `kiln_index`, so that listing reads a page, not
 * every key: on nats-server 2.9 listing keys under a prefix creates a consumer that walks the whole
 * bucket, which with 100,000 instances is the whole cost of the request.
 *
 * Keys: `<tenant>.<workflow>.head` (the chunk being filled) and `<tenant>.<workflow>.c<n>` (sealed
 * chunks); the layout and every decision about it are in index-chunks.ts.
 *
 * Writes are group commits: the creates of one workflow waiting in this process go out as one
 * compare-and-set of the head, so 32 concurrent creates cost a handful of KV writes instead of 32
 * writes contending for one key. Another gateway writing the same head makes a write retry. The
 * head this process wrote last is kept (for the `MAX_KEPT_HEADS` workflows written most recently),
 * so the next write is a compare-and-set on it without reading the head first: one round trip per
 * batch instead of two while one gateway writes the workflow.
 *
 * An entry is written before its record and never removed: a listing skips an entry that finds no
 * record of its own (a create that failed or whose gateway died, an instance deleted or expired
 * since; see `indexedRecord` in instance-listing.ts).
 */
import type { KV } from "@nats-io/kv";
import { Keys } from "../contract/mod.ts";
import { isWrongLastSequence } from "./errors.ts";
import { appendToHead, EMPTY_HEAD, encodeHead, INDEX_CHUNK_SIZE, type IndexEntry, type IndexHead } from "./index-chunks.ts";
import { decodeJson, encodeJson } from "./json-codec.ts";

interface PendingBatch {
  entries: IndexEntry[];
  settle: Array<{ resolve(): void; reject(error: unknown): void }>;
}

const encoder = new TextEncoder();

/** Compare-and-set conflicts in a row before a write gives up (each one means another writer won). */
const MAX_CAS_TRIES = 50;

/** Heads kept after this process wrote them: each holds up to a chunk of entries. */
const MAX_KEPT_HEADS = 256;

interface KeptHead {
  head: IndexHead;
  revision: number;
  /** The JSON of `head.entries` as written (see `encodeHead`); unknown for a head read back. */
  entriesJson?: string;
}

export class InstanceIndex {
  /** Per head key: entries waiting for the write in flight to finish. */
  private readonly waiting = new Map<string, PendingBatch>();
  private readonly writing = new Set<string>();
  /** Per head key, what this process wrote last, oldest first. */
  private readonly kept = new Map<string, KeptHead>();

  constructor(private readonly kv: KV) {}

  /** Indexes a new instance; resolves once the entry is stored. */
  add(tenant: string, workflow: string, id: string, createdAt: number): Promise<void> {
    const key = Keys.indexHead(tenant, workflow);
    let batch = this.waiting.get(key);
    if (!batch) {
      batch = { entries: [], settle: [] };
      this.waiting.set(key, batch);
    }
    const joined = batch;
    const stored = new Promise<void>((resolve, reject) => joined.settle.push({ resolve, reject }));
    joined.entries.push([id, createdAt]);
    if (!this.writing.has(key)) void this.drain(tenant, workflow, key);
    return stored;
  }

  /** The head of a workflow's index, or the empty one. */
  async head(tenant: string, workflow: string): Promise<IndexHead> {
    const entry = await this.kv.get(Keys.indexHead(tenant, workflow));
    return entry && entry.operation === "PUT" && entry.value.length > 0 ? decodeJson<IndexHead>(entry.value) : EMPTY_HEAD;
  }

  /** The entries of chunk `chunk`, from the head when it holds them, else from its sealed key. */
  async chunk(tenant: string, workflow: string, head: IndexHead, chunk: number): Promise<readonly IndexEntry[]> {
    if (chunk === head.chunk) return head.entries;
    if (chunk === head.sealed?.chunk) return head.sealed.entries;
    const entry = await this.kv.get(Keys.indexChunk(tenant, workflow, chunk));
    return entry && entry.operation === "PUT" && entry.value.length > 0 ? decodeJson<IndexEntry[]>(entry.value) : [];
  }

  /** Writes the waiting batches of one head, one at a time, until none is left. */
  private async drain(tenant: string, workflow: string, key: string): Promise<void> {
    this.writing.add(key);
    try {
      for (let batch = this.take(key); batch; batch = this.take(key)) {
        try {
          await this.write(tenant, workflow, key, batch.entries);
          for (const waiter of batch.settle) waiter.resolve();
        } catch (error) {
          for (const waiter of batch.settle) waiter.reject(error);
        }
      }
    } finally {
      this.writing.delete(key);
    }
  }

  /** Up to one chunk's worth of waiting entries (more wait for the next write). */
  private take(key: string): PendingBatch | undefined {
    const batch = this.waiting.get(key);
    if (!batch) return undefined;
    if (batch.entries.length <= INDEX_CHUNK_SIZE) {
      this.waiting.delete(key);
      return batch;
    }
    // Entries beyond a chunk stay for the next write; their waiters move with them.
    const now: PendingBatch = { entries: batch.entries.splice(0, INDEX_CHUNK_SIZE), settle: batch.settle.splice(0, INDEX_CHUNK_SIZE) };
    return now;
  }

  private async write(tenant: string, workflow: string, key: string, entries: IndexEntry[]): Promise<void> {
    for (let attempt = 0; attempt < MAX_CAS_TRIES; attempt++) {
      // The head this process wrote last, unless a write of it lost a race: then what is stored.
      const current = (attempt === 0 && this.kept.get(key)) || (await this.read(key));
      const head = current?.head ?? EMPTY_HEAD;
      // The chunk the previous write sealed gets its own key before the head forgets it.
      if (head.sealed) await this.kv.put(Keys.indexChunk(tenant, workflow, head.sealed.chunk), encodeJson(head.sealed.entries));
      const next = appendToHead(head, entries);
      const encoded = encodeHead(next, head, entries, current ? current.entriesJson : "");
      const value = encoder.encode(encoded.json);
      let revision: number;
      try {
        revision = current ? await this.kv.update(key, value, current.revision) : await this.kv.create(key, value);
      } catch (error) {
        if (isWrongLastSequence(error)) continue;
        throw error;
      }
      this.keep(key, { head: next, revision, entriesJson: encoded.entriesJson });
      // Stored eagerly, so the head carries it only until this put lands (or the next write does it).
      if (next.sealed) await this.kv.put(Keys.indexChunk(tenant, workflow, next.sealed.chunk), encodeJson(next.sealed.entries));
      return;
    }
    throw new Error(`the instance index of '${tenant}/${workflow}' kept changing; gave up after ${MAX_CAS_TRIES} tries`);
  }

  /** The stored head with its revision; `undefined` if there is none yet. */
  private async read(key: string): Promise<KeptHead | undefined> {
    this.kept.delete(key);
    const entry = await this.kv.get(key);
    return entry !== null && entry.operation === "PUT" && entry.value.length > 0
      ? { head: decodeJson<IndexHead>(entry.value), revision: entry.revision }
      : undefined;
  }

  private keep(key: string, written: KeptHead): void {
    this.kept.delete(key);
    this.kept.set(key, written);
    if (this.kept.size > MAX_KEPT_HEADS) this.kept.delete(this.kept.keys().next().value!);
  }
}
