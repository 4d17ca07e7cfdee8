/** Tenants, their settings (the admin's alone) and secrets (write-only). */
import { Hono } from "hono";
import { z } from "zod";
import { ErrorCode, SECRET_NAME, TENANT_NAME, tenantSettingsSchema } from "../../contract/mod.ts";
import { AlreadyExistsError } from "../../infra/errors.ts";
import { hashToken, newTenantToken, requireAdmin, requireTenantAccess, type AuthEnv } from "../auth.ts";
import { readJson, readText } from "../body.ts";
import { HttpError, badRequest, conflict, notFound } from "../errors.ts";
import type { Registry } from "../registry.ts";
import type { SecretStore } from "../secret-store.ts";
import { parseBody } from "../validation.ts";

const createTenantBody = z.object({ id: z.string().regex(TENANT_NAME, "tenant ids are lowercase letters, digits and '-', up to 63 characters") });

/** Secret values are API keys and certificates, not documents. */
const MAX_SECRET_BYTES = 64 * 1024;

function secretName(name: string): string {
  if (!SECRET_NAME.test(name)) throw badRequest(`invalid secret name '${name}': use letters, digits and '_', not starting with a digit, up to 64 characters`);
  return name;
}

export function tenantRoutes(registry: Registry, secrets: SecretStore) {
  const app = new Hono<AuthEnv>();

  app.post("/", requireAdmin, async (c) => {
    const { id } = parseBody(createTenantBody, await readJson(c, 4096, "the request body"));
    const token = newTenantToken();
    try {
      await registry.createTenant(id, await hashToken(token));
    } catch (error) {
      if (error instanceof AlreadyExistsError) throw conflict(`tenant '${id}' already exists`);
      throw error;
    }
    return c.json({ id, token }, 201);
  });

  // Settings are the platform's word on what a tenant may do, so a tenant token does not even see
  // these routes (404, like every admin route), let alone change its own limits.
  app.put("/:t/settings", requireAdmin, requireTenantAccess(registry), async (c) => {
    const settings = parseBody(tenantSettingsSchema, await readJson(c, 64 * 1024, "the settings"));
    await registry.putSettings(c.req.param("t"), settings);
    return c.json(settings);
  });

  app.get("/:t/settings", requireAdmin, requireTenantAccess(registry), async (c) => c.json(await registry.getSettings(c.req.param("t"))));

  app.get("/:t/secrets", requireTenantAccess(registry), async (c) => {
    const listed = await secrets.list(c.req.param("t"));
    return c.json({ secrets: listed.map(({ name, updatedAt }) => ({ name, updatedAt: new Date(updatedAt).toISOString() })) });
  });

  app.put("/:t/secrets/:name", requireTenantAccess(registry), async (c) => {
    const name = secretName(c.req.param("name"));
    const value = await readText(c, MAX_SECRET_BYTES, "the secret");
    if (value.length === 0) throw new HttpError(400, ErrorCode.badRequest, "the secret value is empty; send it as the request body");
    await secrets.put(c.req.param("t"), name, value);
    return c.body(null, 204);
  });

  app.delete("/:t/secrets/:name", requireTenantAccess(registry), async (c) => {
    const name = secretName(c.req.param("name"));
    if (!(await secrets.delete(c.req.param("t"), name))) throw notFound(`secret '${name}'`);
    return c.body(null, 204);
  });

  return app;
}
