/**
 * Bearer tokens and what they may do. The platform admin's token is configured; tenant tokens are
 * random, shown once, stored only as SHA-256 hashes (token-store.ts) and carry scopes. A tenant token
 * opens only its own `/v1/tenants/:t` subtree: any other tenant's path answers 404, so a token cannot
 * even learn which tenants exist. Inside it, a route the token's scopes do not cover answers 403
 * naming the missing scope.
 *
 * Every tenant route states what it needs in its own registration, one guard per route:
 *
 *   app.post("/:t/workflows/:w/instances", requireScope("run"), async (c) => …);
 *   app.put("/:t/settings", requirePlatformAdmin, requireTenantAccess(registry), async (c) => …);
 *
 * Adding a route means adding its guard the same way; test/unit/route-access.test.ts walks every
 * registered route and fails for one without a guard. The platform admin passes every scope.
 */
import type { MiddlewareHandler } from "hono";
import { ErrorCode, type TokenScope } from "../contract/mod.ts";
import { HttpError } from "./errors.ts";
import { checkTenantName } from "./path-names.ts";
import type { Registry } from "./registry.ts";
import type { TokenDirectory } from "./token-directory.ts";
import { hashToken } from "./token-store.ts";
import type { TokenUsage } from "./token-usage.ts";

export type Principal = { kind: "platform-admin" } | { kind: "tenant"; tenant: string; tokenName: string; scopes: readonly TokenScope[] };

export type AuthEnv = { Variables: { principal: Principal } };

/** What a route's guard demands: a tenant token scope, or the platform admin alone. */
export type RouteAccess = TokenScope | "platform-admin";

const ROUTE_ACCESS = Symbol("kiln.routeAccess");
type Guard = MiddlewareHandler<AuthEnv> & { [ROUTE_ACCESS]: RouteAccess };

const guard = (access: RouteAccess, middleware: MiddlewareHandler<AuthEnv>): Guard => Object.assign(middleware, { [ROUTE_ACCESS]: access });

/** The access a handler registered on a route demands, if it is a guard: how a test proves every route has one. */
export function routeAccessOf(handler: unknown): RouteAccess | undefined {
  return typeof handler === "function" && ROUTE_ACCESS in handler ? (handler as Guard)[ROUTE_ACCESS] : undefined;
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

export interface AuthDeps {
  adminToken: string;
  tokens: TokenDirectory;
  usage: TokenUsage;
}

export function authenticate(deps: AuthDeps): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new HttpError(401, ErrorCode.unauthorized, "missing bearer token: send 'Authorization: Bearer <token>'");
    const token = match[1]!;
    if (constantTimeEqual(token, deps.adminToken)) {
      c.set("principal", { kind: "platform-admin" });
    } else {
      const hash = hashToken(token);
      const grant = await deps.tokens.find(hash);
      if (!grant) throw new HttpError(401, ErrorCode.unauthorized, "unknown or revoked token: use a current token of your tenant");
      deps.usage.used(grant, hash);
      c.set("principal", { kind: "tenant", tenant: grant.tenant, tokenName: grant.name, scopes: grant.scopes });
    }
    await next();
  };
}

/** Routes of the platform admin alone; a tenant token sees them as nonexistent (404), whatever its scopes. */
export const requirePlatformAdmin = guard("platform-admin", async (c, next) => {
  if (c.get("principal").kind !== "platform-admin") throw new HttpError(404, ErrorCode.notFound, "not found");
  await next();
});

/** A tenant route that needs `scope`. Runs after `requireTenantAccess`, so another tenant's token still sees 404, not 403. */
export function requireScope(scope: TokenScope): MiddlewareHandler<AuthEnv> {
  return guard(scope, async (c, next) => {
    const principal = c.get("principal");
    if (principal.kind === "tenant" && !principal.scopes.includes(scope)) {
      throw new HttpError(
        403,
        ErrorCode.forbidden,
        `token '${principal.tokenName}' lacks the '${scope}' scope that ${c.req.method} ${c.req.path} needs (it has: ${principal.scopes.join(", ")}): ` +
          `use a token with '${scope}', or create one with POST /v1/tenants/${principal.tenant}/tokens (needs the 'admin' scope)`,
      );
    }
    await next();
  });
}

/**
 * Tenant routes: the tenant itself or the platform admin; anyone else gets the same 404 as a missing
 * tenant. A path whose tenant id breaks the name rule is a 400 for everyone: no tenant has that name.
 */
export function requireTenantAccess(registry: Registry): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const tenant = checkTenantName(c.req.param("t") ?? "");
    const principal = c.get("principal");
    const allowed = principal.kind === "platform-admin" ? await registry.tenantExists(tenant) : principal.tenant === tenant;
    if (!allowed) throw new HttpError(404, ErrorCode.notFound, `tenant '${tenant}' not found`);
    await next();
  };
}
