/**
 * The gateway's HTTP app: one `fetch(Request) → Response` over Hono, so it runs on Node, Deno or any
 * web-standard server, and tests call it with `app.request()`.
 */
import { Hono } from "hono";
import type { ObjectStore } from "@nats-io/obj";
import type { JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { ErrorCode } from "../contract/mod.ts";
import { isNatsUnavailable } from "../infra/errors.ts";
import type { InstanceStore } from "../infra/instance-store.ts";
import type { InstanceIndex } from "../infra/instance-index.ts";
import type { JournalStore } from "../infra/journal-store.ts";
import type { Logger } from "../infra/logger.ts";
import { allowedMethods } from "./allowed-methods.ts";
import { authenticate, type AuthEnv } from "./auth.ts";
import { isCompileError, type Compiler } from "./compile/mod.ts";
import { consoleAssets, type ConsoleAssets } from "./console-assets.ts";
import { HttpError } from "./errors.ts";
import { buildOpenApiDocument } from "./openapi/document.ts";
import { OPERATIONS } from "./openapi/operations.ts";
import type { InstanceControl } from "./instance-control.ts";
import type { GatewayMetrics } from "./metrics.ts";
import type { Registry } from "./registry.ts";
import { requestIds } from "./request-ids.ts";
import type { SecretStore } from "./secret-store.ts";
import type { TokenDirectory } from "./token-directory.ts";
import type { TokenStore } from "./token-store.ts";
import type { TokenUsage } from "./token-usage.ts";
import { consoleRoutes } from "./routes/console.ts";
import { instanceRoutes } from "./routes/instances.ts";
import { tenantRoutes } from "./routes/tenants.ts";
import { tokenRoutes } from "./routes/tokens.ts";
import { workflowRoutes } from "./routes/workflows.ts";

export interface GatewayAppDeps {
  adminToken: string;
  registry: Registry;
  secrets: SecretStore;
  tokenStore: TokenStore;
  /** Answers which tenant token a request carries (cached, follows revocations). */
  tokens: TokenDirectory;
  /** Records tokens' `lastUsedAt`, at most once a minute per token. */
  tokenUsage: TokenUsage;
  compiler: Compiler;
  artifacts: ObjectStore;
  instances: InstanceStore;
  index: InstanceIndex;
  journal: JournalStore;
  control: InstanceControl;
  js: JetStreamClient;
  nc: NatsConnection;
  metrics: GatewayMetrics;
  log: Logger;
  /** Whether NATS is reachable now, for `/healthz`. */
  healthy(): boolean;
  /** Whether the NATS connection is up now (not reconnecting), for `/readyz`. */
  ready(): boolean;
  /** The web console's files. @default `console/` bundled on the first request, then kept in memory */
  consoleAssets?: () => Promise<ConsoleAssets>;
}

/** How long a client should wait before retrying while NATS is unreachable. */
const UNAVAILABLE_RETRY_AFTER_MS = 1_000;

export function createGatewayApp(deps: GatewayAppDeps): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();

  app.use(async (c, next) => {
    await next();
    deps.metrics.request(c.req.method, c.res.status);
  });

  app.get("/healthz", (c) => (deps.healthy() ? c.json({ status: "ok" }) : c.json({ status: "nats unreachable" }, 503)));
  // Not ready while NATS reconnects: every other route would answer 503 meanwhile.
  app.get("/readyz", (c) =>
    deps.ready()
      ? c.json({ status: "ready" })
      : c.json({ status: "not ready", reason: "NATS is unreachable; reconnecting", retryAfterMs: UNAVAILABLE_RETRY_AFTER_MS }, 503, {
          "retry-after": String(UNAVAILABLE_RETRY_AFTER_MS / 1_000),
        }),
  );
  app.get("/metrics", async (c) => c.text(await deps.metrics.render(), 200, { "content-type": deps.metrics.registry.contentType }));

  // Public: the page carries no data; its API calls carry the tenant's token.
  app.route("/console", consoleRoutes(deps.consoleAssets ?? consoleAssets()));

  app.use("/v1/*", authenticate({ adminToken: deps.adminToken, tokens: deps.tokens, usage: deps.tokenUsage }));
  app.route("/v1/tenants", tenantRoutes(deps.registry, deps.secrets, deps.tokenStore));
  app.route("/v1/tenants", tokenRoutes(deps));
  app.route("/v1/tenants", workflowRoutes(deps));
  app.route("/v1/tenants", instanceRoutes(deps));
  // Registered last and built once from the finished route table (itself included).
  app.get("/openapi.json", (c) => c.json(openApi));
  const openApi = buildOpenApiDocument(app.routes, OPERATIONS);

  app.notFound((c) => {
    // A known path asked with the wrong method is a 405 naming the methods it has, not a 404.
    const allowed = allowedMethods(app.routes, c.req.path);
    if (allowed.length > 0) {
      const message = `${c.req.path} does not answer ${c.req.method}: use ${allowed.join(" or ")} (see the HTTP API in the README)`;
      return c.json({ error: { code: ErrorCode.methodNotAllowed, message } }, 405, { allow: allowed.join(", ") });
    }
    return c.json({ error: { code: ErrorCode.notFound, message: `no route for ${c.req.method} ${c.req.path}: see the HTTP API in the README` } }, 404);
  });

  app.onError((error, c) => {
    if (error instanceof HttpError) {
      const retryAfterMs = error.details?.["retryAfterMs"];
      const headers = typeof retryAfterMs === "number" ? { "retry-after": String(Math.ceil(retryAfterMs / 1_000)) } : undefined;
      return c.json({ error: { code: error.code, message: error.message, ...error.details } }, error.status, headers);
    }
    if (isCompileError(error)) {
      return c.json({ error: { code: error.code, message: error.message }, errors: error.errors }, 422);
    }
    if (isNatsUnavailable(error)) {
      // Timeouts and lost connections while NATS restarts or fails over: the client should retry.
      const error = { code: ErrorCode.unavailable, message: "NATS is unreachable right now; try again shortly", retryAfterMs: UNAVAILABLE_RETRY_AFTER_MS };
      return c.json({ error }, 503, { "retry-after": String(UNAVAILABLE_RETRY_AFTER_MS / 1_000) });
    }
    deps.log.error({ ...requestIds(c.req.path), method: c.req.method, path: c.req.path, err: error }, "request failed");
    return c.json({ error: { code: ErrorCode.internal, message: "internal error; it has been logged, try again" } }, 500);
  });

  return app;
}
