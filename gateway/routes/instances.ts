/** Instances of a workflow: create, list, inspect, lifecycle, events and logs. */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import type { JetStreamClient } from "@nats-io/jetstream";
import { EVENT_TYPE, INSTANCE_ID, INSTANCE_STATUSES, type InstanceRecord, type InstanceStatus } from "../../contract/mod.ts";
import type { InstanceStore } from "../../infra/instance-store.ts";
import type { JournalStore } from "../../infra/journal-store.ts";
import { requireTenantAccess, type AuthEnv } from "../auth.ts";
import { mediaType, readJson, readText } from "../body.ts";
import { badRequest, HttpError, notFound } from "../errors.ts";
import type { InstanceControl, LifecycleAction } from "../instance-control.ts";
import { instanceSummary, instanceView } from "../instance-view.ts";
import { followLogs, readLogs } from "../log-reader.ts";
import type { Registry } from "../registry.ts";
import { parseBody } from "../validation.ts";

const MAX_PARAMS_BYTES = 1024 * 1024;
const MAX_EVENT_BYTES = 1024 * 1024;
const MAX_BATCH = 100;

const createBody = z
  .object({
    id: z.string().regex(INSTANCE_ID, "instance ids are letters, digits, '_' and '-', up to 100 characters").optional(),
    params: z.unknown().optional(),
  })
  .strict();

export interface InstanceRouteDeps {
  registry: Registry;
  instances: InstanceStore;
  journal: JournalStore;
  control: InstanceControl;
  js: JetStreamClient;
}

export function instanceRoutes(deps: InstanceRouteDeps) {
  const app = new Hono<AuthEnv>();
  app.use("/:t/*", requireTenantAccess(deps.registry));

  async function latestVersion(tenant: string, workflow: string): Promise<string> {
    const found = await deps.registry.getWorkflow(tenant, workflow);
    if (!found) throw notFound(`workflow '${workflow}'`);
    return found.record.latest;
  }

  /** The instance, if it belongs to this workflow; otherwise the same 404 as a missing one. */
  async function loadInstance(tenant: string, workflow: string, id: string): Promise<InstanceRecord> {
    if (!INSTANCE_ID.test(id)) throw badRequest(`invalid instance id '${id}'`);
    const stored = await deps.instances.get(tenant, id);
    if (!stored || stored.record.workflow !== workflow) throw notFound(`instance '${id}'`);
    return stored.record;
  }

  app.post("/:t/workflows/:w/instances", async (c) => {
    const { t, w } = c.req.param();
    const body = parseBody(createBody, await readJson(c, MAX_PARAMS_BYTES, "the request body", {}));
    const version = await latestVersion(t, w);
    const record = await deps.control.create(t, w, version, { id: body.id ?? crypto.randomUUID(), params: body.params ?? null });
    return c.json({ id: record.id, version: record.version }, 201);
  });

  app.post("/:t/workflows/:w/instances/batch", async (c) => {
    const { t, w } = c.req.param();
    const body = await readJson(c, MAX_PARAMS_BYTES * 4, "the request body");
    const items = parseBody(z.array(createBody).min(1).max(MAX_BATCH, `a batch holds at most ${MAX_BATCH} instances`), body);
    const ids = items.map((item) => item.id ?? crypto.randomUUID());
    const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
    if (duplicate) throw badRequest(`instance id '${duplicate}' appears twice in the batch`);
    const version = await latestVersion(t, w);
    const created = await deps.control.createBatch(
      t,
      w,
      version,
      items.map((item, index) => ({ id: ids[index]!, params: item.params ?? null })),
    );
    const results = created.map((result, index) =>
      result instanceof HttpError ? { id: ids[index]!, error: { code: result.code, message: result.message } } : { id: result.id, version: result.version },
    );
    return c.json({ instances: results }, 201);
  });

  app.get("/:t/workflows/:w/instances", async (c) => {
    const { t, w } = c.req.param();
    const status = c.req.query("status");
    if (status !== undefined && !INSTANCE_STATUSES.includes(status as InstanceStatus)) {
      throw badRequest(`unknown status '${status}': use one of ${INSTANCE_STATUSES.join(", ")}`);
    }
    const limit = Number(c.req.query("limit") ?? "50");
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw badRequest("limit must be a whole number from 1 to 1000");
    const cursor = c.req.query("cursor");
    if (cursor !== undefined && !INSTANCE_ID.test(cursor)) throw badRequest(`invalid cursor '${cursor}'`);
    const page = await deps.instances.list(t, {
      workflow: w,
      limit,
      ...(status === undefined ? {} : { status: status as InstanceStatus }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    return c.json({ instances: page.instances.map(instanceSummary), ...(page.nextCursor ? { cursor: page.nextCursor } : {}) });
  });

  app.get("/:t/workflows/:w/instances/:id", async (c) => {
    const { t, w, id } = c.req.param();
    const record = await loadInstance(t, w, id);
    const journal = await deps.journal.load(t, id, record.generation);
    return c.json(instanceView(record, journal));
  });

  app.post("/:t/workflows/:w/instances/:id/:action{pause|resume|terminate|restart}", async (c) => {
    const { t, w, id, action } = c.req.param();
    await loadInstance(t, w, id);
    const record = await deps.control.apply(t, id, action as LifecycleAction);
    return c.json({ id: record.id, status: record.status, ...(record.control ? { pending: record.control } : {}) });
  });

  app.post("/:t/workflows/:w/instances/:id/events/:type", async (c) => {
    const { t, w, id, type } = c.req.param();
    if (!EVENT_TYPE.test(type)) throw badRequest(`invalid event type '${type}': use letters, digits, '_' and '-'`);
    await loadInstance(t, w, id);
    const payload =
      mediaType(c) === "application/json"
        ? await readJson(c, MAX_EVENT_BYTES, "the event payload", null)
        : await readText(c, MAX_EVENT_BYTES, "the event payload");
    await deps.control.deliverEvent(t, id, type, payload === "" ? null : payload);
    return c.json({ id, type, accepted: true }, 202);
  });

  app.get("/:t/workflows/:w/instances/:id/logs", async (c) => {
    const { t, w, id } = c.req.param();
    await loadInstance(t, w, id);
    if (c.req.query("follow") !== "1") {
      return c.json({ lines: await readLogs(deps.js, t, w, id, 10_000) });
    }
    return streamSSE(c, async (stream) => {
      const abort = new AbortController();
      stream.onAbort(() => abort.abort());
      for await (const line of followLogs(deps.js, t, w, id, abort.signal)) {
        await stream.writeSSE({ event: "log", data: JSON.stringify(line) });
      }
    });
  });

  return app;
}
