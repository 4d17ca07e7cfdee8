/**
 * The host side of `kiln:workflow/http` for one activation: parses what the guest sent, refuses a call
 * outside a step body, caps the timeout at the running step's, performs the request, and tells
 * operators (one log line per call: method, host, status, ms — never headers or bodies; one metric
 * by tenant and outcome). Never rejects: every failure is an answer the guest turns into a TypeError.
 *
 * Concurrency: the guest blocks on each call (the channel has one request in flight), so a sandbox
 * makes at most one outbound request at a time.
 */
import type { ResolvedTenantSettings } from "../../contract/settings.ts";
import { hostLabel } from "./egress-policy.ts";
import type { Resolver } from "./guarded-lookup.ts";
import { httpCallRequestSchema, type HttpAnswer, type HttpError } from "./http-wire.ts";
import { fetchOutbound } from "./outbound-fetch.ts";

/** @default 30 s, never past the step's own remaining timeout. */
export const DEFAULT_FETCH_TIMEOUT_MS = 30_000;

/** What a call ended as, for the metric: `ok` (any HTTP status) or the error case. */
export type FetchOutcome = "ok" | HttpError["tag"];

export interface HttpHostDeps {
  /** The tenant's settings, read on every call so a change applies at once. */
  settings(): ResolvedTenantSettings;
  /** Milliseconds left of the running step attempt, or `undefined` when no step body runs. */
  stepRemainingMs(): number | undefined;
  log(level: "info" | "warn", message: string): void;
  observe(outcome: FetchOutcome, durationMs: number): void;
  /** @default the system resolver */
  resolve?: Resolver;
  /** Aborted when the activation ends, so a killed sandbox leaves no request running. */
  signal?: AbortSignal;
}

/** The host as a log line may show it: never the path or query, which can carry tokens. */
function hostOf(url: string): string {
  try {
    return hostLabel(new URL(url));
  } catch {
    return "(invalid URL)";
  }
}

export function createHttpHost(deps: HttpHostDeps): (raw: unknown) => Promise<{ answer: HttpAnswer; body?: Uint8Array }> {
  return async (raw) => {
    const started = performance.now();
    const parsed = httpCallRequestSchema.safeParse(raw);
    if (!parsed.success) {
      deps.observe("invalid", 0);
      const issue = parsed.error.issues[0];
      return {
        answer: {
          ok: false,
          error: { tag: "invalid", val: `fetch refused: the request is malformed (${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"})` },
        },
      };
    }
    const request = parsed.data;
    const host = hostOf(request.url);
    const finish = (outcome: FetchOutcome, detail: string): void => {
      const ms = Math.round(performance.now() - started);
      deps.observe(outcome, ms);
      deps.log(outcome === "ok" ? "info" : "warn", `fetch ${request.method} ${host} ${detail} in ${ms} ms`);
    };
    const remainingMs = deps.stepRemainingMs();
    if (remainingMs === undefined) {
      finish("refused", "refused (outside a step body)");
      return {
        answer: { ok: false, error: { tag: "refused", val: `fetch to '${host}' refused: fetch is only allowed inside a step body; wrap it in step.do` } },
      };
    }
    const settings = deps.settings();
    const timeoutMs = Math.max(1, Math.min(request.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS, DEFAULT_FETCH_TIMEOUT_MS, remainingMs));
    const result = await fetchOutbound(
      { method: request.method, url: request.url, headers: request.headers, body: request.body },
      {
        allow: settings.egressAllow,
        responseLimitBytes: settings.limits.fetchResponseBytes,
        timeoutMs,
        ...(deps.resolve ? { resolve: deps.resolve } : {}),
        ...(deps.signal ? { signal: deps.signal } : {}),
      },
    );
    if (!result.ok) {
      finish(result.error.tag, result.error.tag);
      return { answer: { ok: false, error: result.error } };
    }
    finish("ok", `→ ${result.head.status}`);
    return { answer: { ok: true, response: result.head }, body: result.body };
  };
}
