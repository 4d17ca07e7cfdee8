/**
 * The step journal in `kiln_journal`. Step records are written once (`create`), so two activations
 * racing on the same step can never both commit. Failed attempts and wait deadlines sit beside their
 * step under the same generation prefix.
 */
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { KV, KvEntry } from "@nats-io/kv";
import { ATTEMPT_SUFFIX, Buckets, DEADLINE_SUFFIX, Keys, type AttemptRecord, type DeadlineRecord, type InstanceRef, type StepRecord } from "../contract/mod.ts";
import { AlreadyExistsError, isWrongLastSequence } from "./errors.ts";
import { decodeJson, encodeJson } from "./json-codec.ts";
import { readKvPrefix } from "./kv-prefix-reader.ts";

export interface InstanceJournal {
  /** Completed steps in `seq` order. */
  steps: StepRecord[];
  /** Failed attempts of each step, by step key, in attempt order. */
  attempts: Map<string, AttemptRecord[]>;
  /** Fixed deadlines of waits, by step key. */
  deadlines: Map<string, number>;
}

/** The journal of a generation no activation has claimed yet. */
export function emptyJournal(): InstanceJournal {
  return { steps: [], attempts: new Map(), deadlines: new Map() };
}

/** Snapshots larger than this are not written (a value must fit a NATS message); the read falls back. */
const MAX_SNAPSHOT_BYTES = 512 * 1024;

interface JournalSnapshot {
  /** The activation (of `InstanceRecord.activations`) at whose end the journal was whole. */
  activation: number;
  steps: StepRecord[];
  attempts: Array<[string, AttemptRecord[]]>;
  deadlines: Array<[string, number]>;
}

/** A snapshot get sent before it was known to be needed (`JournalStore.readSnapshotAhead`). */
export interface SnapshotReadAhead {
  readonly key: string;
  readonly entry: Promise<KvEntry | null>;
}

/** The journal a snapshot entry holds, if it is there and activation `activation` wrote it. */
function snapshotOf(entry: KvEntry | null, activation: number): InstanceJournal | undefined {
  if (!entry || entry.operation !== "PUT") return undefined;
  const snapshot = decodeJson<JournalSnapshot>(entry.value);
  if (snapshot.activation !== activation) return undefined;
  return { steps: snapshot.steps, attempts: new Map(snapshot.attempts), deadlines: new Map(snapshot.deadlines) };
}

export class JournalStore {
  constructor(
    private readonly kv: KV,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
  ) {}

  async load(ref: InstanceRef, generation: number): Promise<InstanceJournal> {
    const generationPrefix = Keys.journalPrefix(ref, generation);
    const prefix = `${generationPrefix}.`;
    const journal = emptyJournal();
    for (const entry of await readKvPrefix(this.js, this.jsm, Buckets.journal, generationPrefix)) {
      const [name, occurrence, suffix, extra] = entry.key.slice(prefix.length).split(".");
      if (name === undefined || occurrence === undefined || extra !== undefined) continue;
      const stepKey = `${name}.${occurrence}`;
      if (suffix === undefined) journal.steps.push(decodeJson<StepRecord>(entry.value));
      else if (suffix === DEADLINE_SUFFIX) journal.deadlines.set(stepKey, decodeJson<DeadlineRecord>(entry.value).deadline);
      else if (suffix.startsWith(ATTEMPT_SUFFIX)) {
        const list = journal.attempts.get(stepKey) ?? [];
        list.push(decodeJson<AttemptRecord>(entry.value));
        journal.attempts.set(stepKey, list);
      }
    }
    journal.steps.sort((a, b) => a.seq - b.seq);
    for (const list of journal.attempts.values()) list.sort((a, b) => a.attempt - b.attempt);
    return journal;
  }

  /**
   * Keeps a copy of the whole journal as one value, written when activation number `activation`
   * suspends cleanly or finishes the instance. The next activation reads that one key instead of the journal's keys, which on
   * nats-server 2.9 costs a consumer whose creation scans the bucket's whole stream.
   */
  async saveSnapshot(ref: InstanceRef, generation: number, activation: number, journal: InstanceJournal): Promise<void> {
    const snapshot: JournalSnapshot = {
      activation,
      steps: [...journal.steps].sort((a, b) => a.seq - b.seq),
      attempts: [...journal.attempts],
      deadlines: [...journal.deadlines],
    };
    const bytes = encodeJson(snapshot);
    const key = Keys.journalSnapshot(ref, generation);
    if (bytes.length > MAX_SNAPSHOT_BYTES) await this.kv.delete(key);
    else await this.kv.put(key, bytes);
  }

  /**
   * The journal as activation `activation` left it, if that activation wrote the snapshot: no other
   * activation has run since, so nothing can have been committed after it. Otherwise `undefined`.
   */
  async loadSnapshot(ref: InstanceRef, generation: number, activation: number, ahead?: SnapshotReadAhead): Promise<InstanceJournal | undefined> {
    const key = Keys.journalSnapshot(ref, generation);
    // Read before the record that asks for it, the snapshot may be the one before (its activation
    // wrote it meanwhile): then read it again rather than fall back to the keys.
    const early = ahead?.key === key ? snapshotOf(await ahead.entry, activation) : undefined;
    return early ?? snapshotOf(await this.kv.get(key), activation);
  }

  /**
   * Starts reading a generation's snapshot (most instances never restart: 0) before the instance
   * record that says which generation and activation are wanted has come, so that a status read
   * sends both gets at once: one round trip and one socket write instead of two. `loadAfter` uses
   * it when it is the key it needs. Never rejects: a failed read is read again.
   */
  readSnapshotAhead(ref: InstanceRef, generation = 0): SnapshotReadAhead {
    const key = Keys.journalSnapshot(ref, generation);
    return { key, entry: this.kv.get(key).catch(() => null) };
  }

  /**
   * The journal as it stands once activation `activation` of the generation has ended (the one
   * running now has not), read as cheaply as that allows: nothing before the first activation unless
   * a restart kept steps, the snapshot that activation saved if it did, the journal's keys otherwise.
   * The keys cost a consumer whose creation on nats-server 2.9 walks the bucket's whole stream
   * (~2.5 ms with 1,000 keys, ~125 ms with 100,000), the snapshot one get, whatever the size.
   * `activation` undefined (a record older than the count): the keys.
   */
  async loadAfter(ref: InstanceRef, generation: number, activation: number | undefined, keptSteps = 0, ahead?: SnapshotReadAhead): Promise<InstanceJournal> {
    if (activation === undefined) return this.load(ref, generation);
    if (activation === 0 && keptSteps === 0) return emptyJournal();
    return (await this.loadSnapshot(ref, generation, activation, ahead)) ?? this.load(ref, generation);
  }

  /** Commits a completed step; `AlreadyExistsError` if another activation committed it first. */
  async commitStep(ref: InstanceRef, generation: number, record: StepRecord): Promise<void> {
    await this.createOnce(Keys.journalStep(ref, generation, record.key), record);
  }

  async recordAttempt(ref: InstanceRef, generation: number, stepKey: string, attempt: AttemptRecord): Promise<void> {
    await this.createOnce(Keys.journalStep(ref, generation, `${stepKey}.${ATTEMPT_SUFFIX}${attempt.attempt}`), attempt);
  }

  async recordDeadline(ref: InstanceRef, generation: number, stepKey: string, deadline: number): Promise<void> {
    const record: DeadlineRecord = { deadline };
    await this.createOnce(Keys.journalStep(ref, generation, `${stepKey}.${DEADLINE_SUFFIX}`), record);
  }

  /**
   * Writes `steps` (with their failed attempts) into the next generation: a restart from a step keeps
   * the steps before it. A key already there holds the same record (an earlier try of the same
   * restart), so it is left as it is.
   */
  async copySteps(ref: InstanceRef, generation: number, steps: readonly StepRecord[], attempts: InstanceJournal["attempts"]): Promise<void> {
    const keepExisting = (error: unknown) => {
      if (!(error instanceof AlreadyExistsError)) throw error;
    };
    await Promise.all(
      steps.map(async (step) => {
        await this.commitStep(ref, generation, step).catch(keepExisting);
        for (const attempt of attempts.get(step.key) ?? []) await this.recordAttempt(ref, generation, step.key, attempt).catch(keepExisting);
      }),
    );
  }

  /** Drops every generation of an instance's journal (after delete or restart). */
  async purgeInstance(ref: InstanceRef, keepGeneration?: number): Promise<void> {
    const keep = keepGeneration === undefined ? undefined : `${Keys.journalPrefix(ref, keepGeneration)}.`;
    const keys: string[] = [];
    for await (const key of await this.kv.keys(Keys.journalAll(ref))) {
      if (keep === undefined || !key.startsWith(keep)) keys.push(key);
    }
    await Promise.all(keys.map((key) => this.kv.purge(key)));
  }

  private async createOnce(key: string, value: unknown): Promise<void> {
    try {
      await this.kv.create(key, encodeJson(value));
    } catch (error) {
      if (isWrongLastSequence(error)) throw new AlreadyExistsError(`journal key '${key}' is already written`, { cause: error });
      throw error;
    }
  }
}
