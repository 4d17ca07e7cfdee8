/** A handle on one instance: its status, its result, its logs and its lifecycle. */
import type { InstanceView, LifecycleAnswer, LogLine, StatusChange, StepView } from "../contract/mod.ts";
// The file itself rather than mod.ts: the client needs no schema code at run time.
import { FINAL_STATUSES } from "../contract/instance.ts";
import { KilnInstanceError, KilnTimeoutError } from "./errors.ts";
import type { Transport } from "./http.ts";
import { readServerSentEvents } from "./sse.ts";

/** Between a status stream that ended early and the next one. */
const RECONNECT_DELAY_MS = 100;

export interface ResultOptions {
  /** Give up (with `KilnTimeoutError`) after this long; the instance goes on. @default no limit */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface LogsOptions {
  /** Keep the stream open and yield new lines as they come (SSE), until `signal` aborts or the loop breaks. @default false */
  follow?: boolean;
  signal?: AbortSignal;
}

export interface InstanceHandle {
  readonly workflow: string;
  readonly id: string;
  status(): Promise<InstanceView>;
  /**
   * Waits for the end: resolves with the output of a `complete` instance, rejects with
   * `KilnInstanceError` (carrying the instance's error) for `errored` or `terminated`.
   */
  result<T = unknown>(options?: ResultOptions): Promise<T>;
  /** Each status change (`GET …/stream`), the current one first, until the instance ends. Reconnects if the stream drops. */
  watch(options?: { signal?: AbortSignal }): AsyncGenerator<StatusChange>;
  sendEvent(type: string, payload?: unknown): Promise<{ id: string; type: string; accepted: boolean }>;
  pause(): Promise<LifecycleAnswer>;
  resume(): Promise<LifecycleAnswer>;
  terminate(): Promise<LifecycleAnswer>;
  /** Runs again from the start, or `from` a step (keeping the steps before it). */
  restart(options?: { from?: { name: string; count: number } }): Promise<LifecycleAnswer>;
  /** `force` deletes an instance that has not ended. */
  delete(options?: { force?: boolean }): Promise<void>;
  /** One step, output whole (the status view cuts large ones). */
  step(name: string, count?: number): Promise<StepView>;
  logs(options?: LogsOptions): AsyncGenerator<LogLine>;
}

export function instanceHandle(transport: Transport, base: string, workflow: string, id: string): InstanceHandle {
  const path = `${base}/${encodeURIComponent(id)}`;
  const lifecycle = (action: string, body?: object) => transport.call<LifecycleAnswer>("POST", `${path}/${action}`, { body });

  async function* watch(options: { signal?: AbortSignal } = {}): AsyncGenerator<StatusChange> {
    for (;;) {
      const response = await transport.open("GET", `${path}/stream`, { signal: options.signal });
      let last: StatusChange | undefined;
      for await (const event of readServerSentEvents(response.body!)) {
        if (event.event !== "status") continue;
        last = JSON.parse(event.data) as StatusChange;
        yield last;
        if (FINAL_STATUSES.has(last.status)) return;
      }
      // The stream closed before the end (a gateway restart, a proxy's idle timeout): connect again;
      // the gateway starts each stream with the current status, so nothing is lost. The pause keeps
      // a gateway that closes every stream at once from being asked in a tight loop.
      if (options.signal?.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_DELAY_MS));
    }
  }

  return {
    workflow,
    id,
    status: () => transport.call<InstanceView>("GET", path),
    async result<T>(options: ResultOptions = {}): Promise<T> {
      const abort = new AbortController();
      const stop = () => abort.abort();
      options.signal?.addEventListener("abort", stop, { once: true });
      let timedOut = false;
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              abort.abort();
            }, options.timeoutMs);
      let last: StatusChange | undefined;
      try {
        for await (const change of watch({ signal: abort.signal })) {
          last = change;
          if (change.status === "complete") return change.output as T;
          if (FINAL_STATUSES.has(change.status)) throw new KilnInstanceError(id, change.status, change.error);
        }
        throw new Error("the status stream ended before the instance did");
      } catch (error) {
        if (timedOut) throw new KilnTimeoutError(id, options.timeoutMs!, last?.status);
        throw error;
      } finally {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", stop);
      }
    },
    watch,
    sendEvent: (type, payload = null) =>
      // Always JSON, so a string payload arrives as that string rather than as a text body.
      transport.call("POST", `${path}/events/${encodeURIComponent(type)}`, { body: JSON.stringify(payload ?? null) }),
    pause: () => lifecycle("pause"),
    resume: () => lifecycle("resume"),
    terminate: () => lifecycle("terminate"),
    restart: (options = {}) => lifecycle("restart", options.from ? { from: options.from } : {}),
    async delete(options = {}) {
      await transport.call("DELETE", path, { query: { force: options.force ? "1" : undefined } });
    },
    step: (name, count = 1) => transport.call<StepView>("GET", `${path}/steps/${encodeURIComponent(name)}/${count}`),
    async *logs(options: LogsOptions = {}): AsyncGenerator<LogLine> {
      if (!options.follow) {
        const { lines } = await transport.call<{ lines: LogLine[] }>("GET", `${path}/logs`, { signal: options.signal });
        yield* lines;
        return;
      }
      const response = await transport.open("GET", `${path}/logs`, { query: { follow: 1 }, signal: options.signal });
      for await (const event of readServerSentEvents(response.body!)) {
        if (event.event === "log") yield JSON.parse(event.data) as LogLine;
      }
    },
  };
}
