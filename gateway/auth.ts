/**
 * Bearer tokens. The admin token is configured; tenant tokens are random, shown once, and stored only
 * as SHA-256 hashes. A tenant token opens only its own `/v1/tenants/:t` subtree: any other tenant's
 * path answers 404, so a token cannot even learn which tenants exist.
 */
import type { MiddlewareHandler } from "hono";
import { ErrorCode } from "../contract/mod.ts";
import { sha256Hex } from "../infra/sha256.ts";
import { HttpError } from "./errors.ts";
import type { Registry } from "./registry.ts";

export type Principal = { kind: "admin" } | { kind: "tenant"; tenant: string };

export type AuthEnv = { Variables: { principal: Principal } };

export const hashToken = (token: string): Promise<string> => sha256Hex(token);

export function newTenantToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return `kiln_${Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

export function authenticate(adminToken: string, registry: Registry): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new HttpError(401, ErrorCode.unauthorized, "missing bearer token: send 'Authorization: Bearer <token>'");
    const token = match[1]!;
    if (constantTimeEqual(token, adminToken)) {
      c.set("principal", { kind: "admin" });
    } else {
      const tenant = await registry.tenantOfToken(await hashToken(token));
      if (!tenant) throw new HttpError(401, ErrorCode.unauthorized, "unknown or revoked token");
      c.set("principal", { kind: "tenant", tenant });
    }
    await next();
  };
}

/** Admin-only routes; a tenant token sees them as nonexistent. */
export const requireAdmin: MiddlewareHandler<AuthEnv> = async (c, next) => {
  if (c.get("principal").kind !== "admin") throw new HttpError(404, ErrorCode.notFound, "not found");
  await next();
};

/** Tenant routes: the tenant itself or the admin; anyone else gets the same 404 as a missing tenant. */
export function requireTenantAccess(registry: Registry): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const tenant = c.req.param("t") ?? "";
    const principal = c.get("principal");
    const allowed = principal.kind === "admin" ? await registry.tenantExists(tenant) : principal.tenant === tenant;
    if (!allowed) throw new HttpError(404, ErrorCode.notFound, `tenant '${tenant}' not found`);
    await next();
  };
}
