import { describe, expect, it } from "vitest";
import {
  appendToHead,
  decodeCursor,
  encodeHead,
  EMPTY_HEAD,
  encodeCursor,
  endOfPreviousChunk,
  INDEX_CHUNK_SIZE,
  newestPosition,
  type IndexEntry,
} from "../../infra/index-chunks.ts";
import { indexedRecord } from "../../infra/instance-listing.ts";
import { instanceRecord } from "../helpers/instance-record.ts";

const entries = (from: number, count: number): IndexEntry[] => Array.from({ length: count }, (_, i) => [`i${from + i}`, from + i] as const);

describe("appending to the index head", () => {
  it("fills the chunk being filled", () => {
    const head = appendToHead(appendToHead(EMPTY_HEAD, entries(0, 3)), entries(3, 2));
    expect(head).toEqual({ v: 1, chunk: 0, entries: entries(0, 5) });
  });

  it("seals a chunk that fills up and starts the next with the rest", () => {
    const full = appendToHead(EMPTY_HEAD, entries(0, INDEX_CHUNK_SIZE - 1));
    const next = appendToHead(full, entries(INDEX_CHUNK_SIZE - 1, 3));
    expect(next.chunk).toBe(1);
    expect(next.entries).toEqual(entries(INDEX_CHUNK_SIZE, 2));
    expect(next.sealed).toEqual({ chunk: 0, entries: entries(0, INDEX_CHUNK_SIZE) });
  });

  it("forgets the previously sealed chunk on the next write (the writer stored it first)", () => {
    const sealed = appendToHead(appendToHead(EMPTY_HEAD, entries(0, INDEX_CHUNK_SIZE - 1)), entries(INDEX_CHUNK_SIZE - 1, 1));
    expect(sealed.sealed?.chunk).toBe(0);
    expect(sealed.entries).toEqual([]);
    expect(appendToHead(sealed, entries(1000, 1))).toEqual({ v: 1, chunk: 1, entries: entries(1000, 1) });
  });

  it("writes a head as the JSON of its value, appending to the entries' JSON it wrote before", () => {
    let head = EMPTY_HEAD;
    let entriesJson: string | undefined = "";
    const ids = ["plain", 'quote"and\\backslash', "ünïcödé", "x".repeat(100)];
    for (let i = 0; head.chunk < 2; i++) {
      const batch: IndexEntry[] = Array.from({ length: 1 + (i % 3) }, (_, k) => [`${ids[(i + k) % ids.length]}-${i + k}`, 1_700_000_000_000 + i + k]);
      const next = appendToHead(head, batch);
      // Every fifth write as after a head read back from the store: its entries' JSON is not known.
      const known = i % 5 === 0 ? undefined : entriesJson;
      const encoded = encodeHead(next, head, batch, known);
      expect(JSON.parse(encoded.json)).toEqual(JSON.parse(JSON.stringify(next)));
      expect(`[${encoded.entriesJson}]`).toBe(JSON.stringify(next.entries));
      [head, entriesJson] = [next, encoded.entriesJson];
    }
    expect(head.chunk).toBe(2);
  });

  it("refuses a batch larger than a chunk", () => {
    expect(() => appendToHead(EMPTY_HEAD, entries(0, INDEX_CHUNK_SIZE + 1))).toThrow(RangeError);
  });
});

describe("listing positions and cursors", () => {
  it("starts after the newest entry and steps back over full sealed chunks", () => {
    expect(newestPosition({ v: 1, chunk: 3, entries: entries(0, 7) })).toEqual({ chunk: 3, index: 7 });
    expect(endOfPreviousChunk(3)).toEqual({ chunk: 2, index: INDEX_CHUNK_SIZE });
  });

  it("round-trips a cursor and refuses anything else", () => {
    expect(decodeCursor(encodeCursor({ chunk: 12, index: 499 }))).toEqual({ chunk: 12, index: 499 });
    expect(decodeCursor(encodeCursor({ chunk: 0, index: INDEX_CHUNK_SIZE }))).toEqual({ chunk: 0, index: INDEX_CHUNK_SIZE });
    for (const bad of ["", "1", "a.b", "1.2.3", "-1.0", "01.2", "1.501", "1.9999", "1e3.1"]) expect(decodeCursor(bad), bad).toBeUndefined();
  });
});

describe("an index entry and its record", () => {
  const record = (createdAt: number) => instanceRecord({ id: "order-1", createdAt });

  it("lists the record of the create that wrote the entry", () => {
    expect(indexedRecord(["order-1", 1_000], record(1_000))).toEqual(record(1_000));
  });

  it("skips an entry whose create never wrote its record, when the id's record is another create's", () => {
    // Indexed before the record, then the gateway died (or the id was taken); or the instance was
    // deleted and created again, which has an entry of its own: never listed twice.
    expect(indexedRecord(["order-1", 1_000], record(2_000))).toBeUndefined();
  });
});
