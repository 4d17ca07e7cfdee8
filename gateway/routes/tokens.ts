/** A tenant's named, scoped tokens: create (shown once), list, read one, revoke. All need the `admin` scope. */
import { Hono } from "hono";
import { createTokenRequestSchema, ErrorCode, TOKEN_NAME, type CreatedToken, type TokenView } from "../../contract/mod.ts";
import { AlreadyExistsError, LimitReachedError } from "../../infra/errors.ts";
import { requireScope, requireTenantAccess, type AuthEnv } from "../auth.ts";
import { readJson } from "../body.ts";
import { badRequest, conflict, HttpError, notFound } from "../errors.ts";
import type { Registry } from "../registry.ts";
import type { TokenDirectory } from "../token-directory.ts";
import type { TokenRecord, TokenStore } from "../token-store.ts";
import { parseBody } from "../validation.ts";

export interface TokenRouteDeps {
  registry: Registry;
  tokenStore: TokenStore;
  tokens: TokenDirectory;
}

const iso = (ms: number) => new Date(ms).toISOString();

const tokenView = (record: TokenRecord): TokenView => ({
  name: record.name,
  scopes: record.scopes,
  createdAt: iso(record.createdAt),
  lastUsedAt: record.lastUsedAt === undefined ? null : iso(record.lastUsedAt),
});

function tokenName(name: string): string {
  if (!TOKEN_NAME.test(name)) throw badRequest(`invalid token name '${name}': use lowercase letters, digits and '-', up to 63 characters`);
  return name;
}

export function tokenRoutes(deps: TokenRouteDeps) {
  const app = new Hono<AuthEnv>();
  const tenantAccess = requireTenantAccess(deps.registry);

  app.post("/:t/tokens", tenantAccess, requireScope("admin"), async (c) => {
    const tenant = c.req.param("t");
    const { name, scopes } = parseBody(createTokenRequestSchema, await readJson(c, 4096, "the request body"));
    try {
      const { token, record } = await deps.tokenStore.create(tenant, name, scopes);
      const created: CreatedToken = { name, scopes: record.scopes, token, createdAt: iso(record.createdAt) };
      return c.json(created, 201);
    } catch (error) {
      if (error instanceof LimitReachedError) throw new HttpError(409, ErrorCode.limitExceeded, `${error.message}: revoke one first`);
      if (error instanceof AlreadyExistsError)
        throw conflict(`a token named '${name}' already exists: pick another name, or revoke it first (DELETE /v1/tenants/${tenant}/tokens/${name})`);
      throw error;
    }
  });

  app.get("/:t/tokens", tenantAccess, requireScope("admin"), async (c) => {
    const records = await deps.tokenStore.list(c.req.param("t"));
    return c.json({ tokens: records.map(tokenView) });
  });

  app.get("/:t/tokens/:name", tenantAccess, requireScope("admin"), async (c) => {
    const name = tokenName(c.req.param("name"));
    const found = await deps.tokenStore.get(c.req.param("t"), name);
    if (!found) throw notFound(`token '${name}'`);
    return c.json(tokenView(found));
  });

  app.delete("/:t/tokens/:name", tenantAccess, requireScope("admin"), async (c) => {
    const name = tokenName(c.req.param("name"));
    const hash = await deps.tokenStore.revoke(c.req.param("t"), name);
    if (hash === undefined) throw notFound(`token '${name}'`);
    // This gateway refuses it from now on; the others as soon as their watch reports the delete.
    deps.tokens.forget(hash);
    return c.body(null, 204);
  });

  return app;
}
