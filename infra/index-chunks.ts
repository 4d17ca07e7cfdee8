/**
 * The pure part of the instance index (instance-index.ts): how a batch of new entries lands in the
 * index's head, and where a page of a listing starts and ends. No I/O here, so every edge (a chunk
 * filling up, a cursor at a chunk boundary) is unit-tested.
 *
 * The index of one workflow is a list of `[id, createdAt]` in the order the creates were indexed,
 * cut into chunks of `INDEX_CHUNK_SIZE`. The head value holds the chunk being filled; a full chunk is
 * sealed under a key of its own and never changes again, so a position (chunk, index) stays valid
 * for as long as the index exists: that is what a listing cursor is.
 */

/** One indexed create: the instance id and its creation time (epoch ms). */
export type IndexEntry = readonly [id: string, createdAt: number];

/**
 * 500 entries of ≤ 100-character ids stay under ~60 KiB per value, far below a NATS message, and a
 * listing page reads at most a couple of chunks.
 */
export const INDEX_CHUNK_SIZE = 500;

export interface IndexHead {
  v: 1;
  /** The number of the chunk being filled (0 first). */
  chunk: number;
  entries: IndexEntry[];
  /**
   * The chunk this head's write sealed, until the next write has surely stored it under its own key:
   * a reader that finds it here needs no other read, and a write that fails half-way loses nothing.
   */
  sealed?: { chunk: number; entries: IndexEntry[] };
}

export const EMPTY_HEAD: IndexHead = { v: 1, chunk: 0, entries: [] };

/**
 * The head after appending `batch` (at most `INDEX_CHUNK_SIZE` entries): a chunk that fills up moves
 * to `sealed`, and the remainder starts the next chunk. The previous `sealed` is dropped: the caller
 * stores it under its own key before writing this head.
 */
export function appendToHead(head: IndexHead, batch: readonly IndexEntry[]): IndexHead {
  if (batch.length > INDEX_CHUNK_SIZE) throw new RangeError(`an index batch holds at most ${INDEX_CHUNK_SIZE} entries`);
  const entries = [...head.entries, ...batch];
  if (entries.length < INDEX_CHUNK_SIZE) return { v: 1, chunk: head.chunk, entries };
  return {
    v: 1,
    chunk: head.chunk + 1,
    entries: entries.slice(INDEX_CHUNK_SIZE),
    sealed: { chunk: head.chunk, entries: entries.slice(0, INDEX_CHUNK_SIZE) },
  };
}

/**
 * A head as JSON, written once per group commit. Stringifying all of a head's entries each time
 * cost the gateway ~110 µs per create (32-clients bench, `--cpu-prof`: a head holds 250 entries on
 * average); a writer keeps the JSON of the entries it wrote last (`entriesJson`: the array's JSON
 * without its brackets) and appends the batch's. Parses to the same value as `JSON.stringify(head)`.
 */
export interface EncodedHead {
  json: string;
  entriesJson: string;
}

/** `next` (= `appendToHead(previous, batch)`) as JSON; `previousEntriesJson` is `previous`'s, if known. */
export function encodeHead(next: IndexHead, previous: IndexHead, batch: readonly IndexEntry[], previousEntriesJson: string | undefined): EncodedHead {
  const appended = previousEntriesJson !== undefined && next.chunk === previous.chunk && next.sealed === undefined;
  const batchJson = appended ? batch.map((entry) => JSON.stringify(entry)).join(",") : "";
  const entriesJson = appended ? [previousEntriesJson, batchJson].filter((json) => json !== "").join(",") : JSON.stringify(next.entries).slice(1, -1);
  const sealed = next.sealed === undefined ? "" : `,"sealed":${JSON.stringify(next.sealed)}`;
  return { json: `{"v":${next.v},"chunk":${next.chunk},"entries":[${entriesJson}]${sealed}}`, entriesJson };
}

/** A place in the index: the entry just *after* the next one to read (listings go newest first). */
export interface IndexPosition {
  chunk: number;
  /** Entries of `chunk` before this index are still to be read. */
  index: number;
}

/** Where a listing without a cursor starts: after the newest entry. */
export const newestPosition = (head: IndexHead): IndexPosition => ({ chunk: head.chunk, index: head.entries.length });

/** The position after the newest entry of the chunk before `chunk` (sealed chunks are full). */
export const endOfPreviousChunk = (chunk: number): IndexPosition => ({ chunk: chunk - 1, index: INDEX_CHUNK_SIZE });

/** Cursors are `<chunk>.<index>`: opaque to clients, but checked like any other input. */
export function encodeCursor(position: IndexPosition): string {
  return `${position.chunk}.${position.index}`;
}

export function decodeCursor(cursor: string): IndexPosition | undefined {
  const match = /^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,3})$/.exec(cursor);
  if (!match) return undefined;
  const position = { chunk: Number(match[1]), index: Number(match[2]) };
  return position.index <= INDEX_CHUNK_SIZE ? position : undefined;
}
