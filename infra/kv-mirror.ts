/**
 * Keys of a KV bucket held in memory and kept current by a watch, so that a value read on every
 * request (a token's grant, a workflow's latest version, a tenant's settings) costs no NATS round
 * trip. A change made anywhere reaches every process as soon as the watch delivers it (milliseconds).
 *
 * Only the watch and this process's own writes (`note`, with the revision they got) fill it, and a
 * value never replaces one of a higher revision. A key it does not hold (written a moment ago
 * elsewhere, or before the watch caught up) is the caller's to read from KV, uncached: caching that
 * read could race a delete and keep a removed value alive. If the watch ever stops, everything is
 * dropped and every lookup reads KV, which is correct, only slower.
 */
import type { KV } from "@nats-io/kv";
import { ensureError } from "../contract/mod.ts";

export interface KvMirrorOptions<T> {
  kv: KV;
  /** The keys followed, e.g. `token.*`. */
  filter: string;
  /** What is kept of a stored value; `undefined` treats the key as absent. */
  parse(value: Uint8Array): T | undefined;
  /** The watch stopped: lookups read KV from now on. */
  warn(message: string): void;
}

export class KvMirror<T> {
  /** A deleted key keeps its revision (value `undefined`), so an older write noted late cannot revive it. */
  private readonly entries = new Map<string, { value: T | undefined; revision: number }>();
  private watching = false;
  private stopWatch: () => void = () => undefined;

  private constructor(private readonly options: KvMirrorOptions<T>) {}

  /** Starts following `filter`; lookups work at once (from KV until the watch catches up). */
  static async open<T>(options: KvMirrorOptions<T>): Promise<KvMirror<T>> {
    const mirror = new KvMirror(options);
    await mirror.follow();
    return mirror;
  }

  /** The value held for `key`; `undefined` when it holds none: read KV then. */
  held(key: string): T | undefined {
    return this.watching ? this.entries.get(key)?.value : undefined;
  }

  /** The value held for `key` with its revision, for a compare-and-set on it; `undefined` as for `held`. */
  heldEntry(key: string): { value: T; revision: number } | undefined {
    const entry = this.watching ? this.entries.get(key) : undefined;
    return entry?.value === undefined ? undefined : { value: entry.value, revision: entry.revision };
  }

  /**
   * Whether `key` is known to hold nothing (deleted, or read absent and noted so): `false` when it
   * holds a value or knows nothing of the key.
   */
  heldAbsent(key: string): boolean {
    const entry = this.watching ? this.entries.get(key) : undefined;
    return entry !== undefined && entry.value === undefined;
  }

  /**
   * A key this process just read from KV and found absent, held so until the watch reports a write
   * to it. Never over anything the watch delivered, so a write that raced the read still wins.
   * Only for keys whose readers accept a write made elsewhere reaching them with the watch's lag.
   */
  noteAbsent(key: string): void {
    if (this.watching && !this.entries.has(key)) this.entries.set(key, { value: undefined, revision: 0 });
  }

  /** A value this process just wrote, held without waiting for the watch to report it. */
  note(key: string, value: T, revision: number): void {
    if (this.watching) this.apply(key, value, revision);
  }

  /** Drops a key this process just deleted, without waiting for the watch. */
  forget(key: string): void {
    const current = this.entries.get(key);
    if (current) current.value = undefined;
  }

  close(): void {
    this.watching = false;
    this.stopWatch();
  }

  private apply(key: string, value: T | undefined, revision: number): void {
    const current = this.entries.get(key);
    if (current && current.revision > revision) return;
    this.entries.set(key, { value, revision });
  }

  private async follow(): Promise<void> {
    const updates = await this.options.kv.watch({ key: this.options.filter });
    this.stopWatch = () => updates.stop();
    this.watching = true;
    void (async () => {
      let failure = "it ended";
      try {
        for await (const entry of updates) {
          this.apply(entry.key, entry.operation === "PUT" ? this.options.parse(entry.value) : undefined, entry.revision);
        }
      } catch (error) {
        failure = ensureError(error).message;
      } finally {
        const unexpected = this.watching;
        this.watching = false;
        this.entries.clear();
        if (unexpected) this.options.warn(`stopped following '${this.options.filter}' (${failure}): every lookup now reads KV`);
      }
    })();
  }
}
