/** Tenants, their settings and secrets. */
import { Hono } from "hono";
import { z } from "zod";
import { ErrorCode, SECRET_NAME, TENANT_NAME } from "../../contract/mod.ts";
import { AlreadyExistsError } from "../../infra/errors.ts";
import { hashToken, newTenantToken, requireAdmin, requireTenantAccess, type AuthEnv } from "../auth.ts";
import { readJson, readText } from "../body.ts";
import { HttpError, badRequest, conflict } from "../errors.ts";
import type { Registry } from "../registry.ts";
import { parseBody } from "../validation.ts";

const createTenantBody = z.object({ id: z.string().regex(TENANT_NAME, "tenant ids are lowercase letters, digits and '-', up to 63 characters") });

const settingsBody = z
  .object({
    egressAllowList: z
      .array(z.string().regex(/^(\*\.)?[a-z0-9.-]+(:\d+)?$/i, "allow-list entries are host names, optionally *.suffix or :port"))
      .max(256)
      .default([]),
    limits: z
      .object({
        concurrency: z.number().int().positive().max(10_000).optional(),
        memoryMiB: z.number().int().min(16).max(4096).optional(),
        stepTimeoutMs: z
          .number()
          .int()
          .positive()
          .max(24 * 3_600_000)
          .optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

export function tenantRoutes(registry: Registry) {
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

  app.put("/:t/settings", requireAdmin, requireTenantAccess(registry), async (c) => {
    const settings = parseBody(settingsBody, await readJson(c, 64 * 1024, "the settings"));
    await registry.putSettings(c.req.param("t"), settings);
    return c.json(settings);
  });

  app.get("/:t/settings", requireTenantAccess(registry), async (c) => c.json(await registry.getSettings(c.req.param("t"))));

  app.put("/:t/secrets/:name", requireTenantAccess(registry), async (c) => {
    const name = c.req.param("name");
    if (!SECRET_NAME.test(name)) throw badRequest(`invalid secret name '${name}': use letters, digits and '_', not starting with a digit`);
    const value = await readText(c, 64 * 1024, "the secret");
    if (value.length === 0) throw new HttpError(400, ErrorCode.badRequest, "the secret value is empty; send it as the request body");
    await registry.putSecret(c.req.param("t"), name, value);
    return c.body(null, 204);
  });

  return app;
}
