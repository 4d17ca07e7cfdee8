/**
 * Takes one tenant's work messages from its consumer and starts each as soon as the dispatcher gives
 * it a slot — while the tenant is at its concurrency limit, only after the gate lets it through. Holds
 * one message at a time, so other executors get the rest. Runs until closed: if NATS is unreachable or
 * the consumer goes away, it sets the consumer up again.
 */
import type { ConsumerMessages, JetStreamClient, JsMsg } from "@nats-io/jetstream";
import { Streams, workConsumer } from "../contract/mod.ts";
import type { ConcurrencyGate } from "./concurrency-gate.ts";
import type { FairDispatcher } from "./fair-dispatcher.ts";

/**
 * Messages pulled per tenant at a time: the one message waiting for a slot is kept alive, so none
 * sits unattended in a buffer long enough for NATS to redeliver it.
 */
const PREFETCH = 1;
const RETRY_MS = 1_000;

/** The callbacks are plain functions, not methods: the intake calls them unbound. */
export interface TenantIntakeOptions {
  js: JetStreamClient;
  dispatcher: FairDispatcher;
  /** Holds the tenant back while it is at its concurrency limit, before it asks for a local slot. */
  gate: ConcurrencyGate;
  /** Creates the tenant's work consumer if it is missing. */
  ensureConsumer: (tenant: string) => Promise<void>;
  /** A message waiting for a slot is kept alive this often, so NATS does not redeliver it meanwhile. */
  keepAliveMs: number;
  run: (message: JsMsg) => Promise<void>;
  warn: (message: string) => void;
}

export class TenantIntake {
  private messages: ConsumerMessages | undefined;
  private closed = false;
  private readonly done: Promise<void>;
  private wake: (() => void) | undefined;
  private pulling = false;

  constructor(
    readonly tenant: string,
    private readonly options: TenantIntakeOptions,
  ) {
    this.done = this.serve();
  }

  /** Whether it is pulling from the tenant's consumer now (false while setting it up again after a failure). */
  get consuming(): boolean {
    return this.pulling && !this.closed;
  }

  /** Stops pulling; messages already started run on (the executor waits for them). */
  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.messages?.close();
    await this.done;
  }

  private async serve(): Promise<void> {
    while (!this.closed) {
      try {
        await this.options.ensureConsumer(this.tenant);
        const consumer = await this.options.js.consumers.get(Streams.work, workConsumer(this.tenant));
        this.messages = await consumer.consume({ max_messages: PREFETCH });
        if (this.closed) await this.messages.close();
        this.pulling = true;
        await this.take(this.messages);
      } catch (error) {
        this.options.warn(`taking work for tenant ${this.tenant} failed (${(error as Error).message}); retrying in ${RETRY_MS} ms`);
      } finally {
        this.pulling = false;
      }
      if (!this.closed) await new Promise<void>((resolve) => setTimeout((this.wake = resolve), RETRY_MS));
    }
  }

  private async take(messages: ConsumerMessages): Promise<void> {
    const { dispatcher, gate, keepAliveMs, run } = this.options;
    for await (const message of messages) {
      const keepAlive = setInterval(() => message.working(), keepAliveMs);
      let release: () => void;
      try {
        await gate.passage(this.tenant);
        release = await dispatcher.acquire(this.tenant);
      } finally {
        clearInterval(keepAlive);
      }
      void run(message).finally(release);
    }
  }
}
