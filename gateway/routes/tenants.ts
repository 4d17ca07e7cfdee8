/** Tenants, their settings (the platform admin's alone) and secrets (write-only, `deploy` scope). */
import { Hono } from "hono";
import { z } from "zod";
import { ErrorCode, FIRST_TOKEN_NAME, SECRET_NAME, TENANT_NAME, TOKEN_SCOPES, tenantSettingsSchema } from "../../contract/mod.ts";
import { AlreadyExistsError } from "../../infra/errors.ts";
import { requirePlatformAdmin, requireScope, requireTenantAccess, type AuthEnv } from "../auth.ts";
import { readJson, readText } from "../body.ts";
import { HttpError, badRequest, conflict, notFound } from "../errors.ts";
import type { Registry } from "../registry.ts";
import type { SecretStore } from "../secret-store.ts";
import type { TokenStore } from "../token-store.ts";
import { parseBody } from "../validation.ts";

export const createTenantBody = z.object({ id: z.string().regex(TENANT_NAME, "tenant ids are lowercase letters, digits and '-', up to 63 characters") });

/** Secret values are API keys and certificates, not documents. */
const MAX_SECRET_BYTES = 64 * 1024;

function secretName(name: string): string {
  if (!SECRET_NAME.test(name)) throw badRequest(`invalid secret name '${name}': use letters, digits and '_', not starting with a digit, up to 64 characters`);
  return name;
}

export function tenantRoutes(registry: Registry, secrets: SecretStore, tokens: TokenStore) {
  const app = new Hono<AuthEnv>();

  app.post("/", requirePlatformAdmin, async (c) => {
    const { id } = parseBody(createTenantBody, await readJson(c, 4096, "the request body"));
    try {
      await registry.createTenant(id);
    } catch (error) {
      if (error instanceof AlreadyExistsError) throw conflict(`tenant '${id}' already exists`);
      throw error;
    }
    // Every scope, so a new tenant can deploy, run, read and mint narrower tokens with this one.
    const { token } = await tokens.create(id, FIRST_TOKEN_NAME, TOKEN_SCOPES);
    return c.json({ id, token }, 201);
  });

  // Settings are the platform's word on what a tenant may do, so a tenant token does not even see
  // these routes (404, like every admin route), let alone change its own limits.
  app.put("/:t/settings", requirePlatformAdmin, requireTenantAccess(registry), async (c) => {
    const settings = parseBody(tenantSettingsSchema, await readJson(c, 64 * 1024, "the settings"));
    await registry.putSettings(c.req.param("t"), settings);
    return c.json(settings);
  });

  app.get("/:t/settings", requirePlatformAdmin, requireTenantAccess(registry), async (c) => c.json(await registry.getSettings(c.req.param("t"))));

  app.get("/:t/secrets", requireTenantAccess(registry), requireScope("deploy"), async (c) => {
    const listed = await secrets.list(c.req.param("t"));
    return c.json({ secrets: listed.map(({ name, updatedAt }) => ({ name, updatedAt: new Date(updatedAt).toISOString() })) });
  });

  app.get("/:t/secrets/:name", requireTenantAccess(registry), requireScope("deploy"), async (c) => {
    const name = secretName(c.req.param("name"));
    const found = await secrets.describe(c.req.param("t"), name);
    if (!found) throw notFound(`secret '${name}'`);
    return c.json({ name, updatedAt: new Date(found.updatedAt).toISOString() });
  });

  app.put("/:t/secrets/:name", requireTenantAccess(registry), requireScope("deploy"), async (c) => {
    const name = secretName(c.req.param("name"));
    const value = await readText(c, MAX_SECRET_BYTES, "the secret");
    if (value.length === 0) throw new HttpError(400, ErrorCode.badRequest, "the secret value is empty; send it as the request body");
    await secrets.put(c.req.param("t"), name, value);
    return c.body(null, 204);
  });

  app.delete("/:t/secrets/:name", requireTenantAccess(registry), requireScope("deploy"), async (c) => {
    const name = secretName(c.req.param("name"));
    if (!(await secrets.delete(c.req.param("t"), name))) throw notFound(`secret '${name}'`);
    return c.body(null, 204);
  });

  return app;
}
