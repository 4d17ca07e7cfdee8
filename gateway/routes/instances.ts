/** Instances of a workflow: create, events and lifecycle (`run` scope); list, inspect and logs (`read` scope). */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import type { JetStreamClient } from "@nats-io/jetstream";
import { EVENT_TYPE, INSTANCE_ID, INSTANCE_STATUSES, type InstanceRecord, type InstanceRef, type InstanceStatus } from "../../contract/mod.ts";
import type { InstanceStore } from "../../infra/instance-store.ts";
import type { JournalStore } from "../../infra/journal-store.ts";
import { requireScope, requireTenantAccess, type AuthEnv } from "../auth.ts";
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
  async function loadInstance(ref: InstanceRef): Promise<InstanceRecord> {
    if (!INSTANCE_ID.test(ref.instance)) throw badRequest(`invalid instance id '${ref.instance}'`);
    const stored = await deps.instances.get(ref);
    if (!stored) throw notFound(`instance '${ref.instance}'`);
    return stored.record;
  }

  /** The instance the route's `:t`, `:w` and `:id` name. */
  const refOf = (params: { t: string; w: string; id: string }): InstanceRef => ({ tenant: params.t, workflow: params.w, instance: params.id });

  app.post("/:t/workflows/:w/instances", requireScope("run"), async (c) => {
    const { t, w } = c.req.param();
    const body = parseBody(createBody, await readJson(c, MAX_PARAMS_BYTES, "the request body", {}));
    const version = await latestVersion(t, w);
    const record = await deps.control.create(t, w, version, body.id ?? crypto.randomUUID(), body.params ?? null);
    return c.json({ id: record.id, version: record.version }, 201);
  });

  app.post("/:t/workflows/:w/instances/batch", requireScope("run"), async (c) => {
    const { t, w } = c.req.param();
    const body = await readJson(c, MAX_PARAMS_BYTES * 4, "the request body");
    const items = parseBody(z.array(createBody).min(1).max(MAX_BATCH, `a batch holds at most ${MAX_BATCH} instances`), body);
    const ids = items.map((item) => item.id ?? crypto.randomUUID());
    const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
    if (duplicate) throw badRequest(`instance id '${duplicate}' appears twice in the batch`);
    const version = await latestVersion(t, w);
    const results = await Promise.all(
      items.map(async (item, index) => {
        try {
          const record = await deps.control.create(t, w, version, ids[index]!, item.params ?? null);
          return { id: record.id, version: record.version };
        } catch (error) {
          if (error instanceof HttpError) return { id: ids[index]!, error: { code: error.code, message: error.message } };
          throw error;
        }
      }),
    );
    return c.json({ instances: results }, 201);
  });

  app.get("/:t/workflows/:w/instances", requireScope("read"), async (c) => {
    const { t, w } = c.req.param();
    const status = c.req.query("status");
    if (status !== undefined && !INSTANCE_STATUSES.includes(status as InstanceStatus)) {
      throw badRequest(`unknown status '${status}': use one of ${INSTANCE_STATUSES.join(", ")}`);
    }
    const limit = Number(c.req.query("limit") ?? "50");
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw badRequest("limit must be a whole number from 1 to 1000");
    const cursor = c.req.query("cursor");
    if (cursor !== undefined && !INSTANCE_ID.test(cursor)) throw badRequest(`invalid cursor '${cursor}'`);
    const page = await deps.instances.list(t, w, {
      limit,
      ...(status === undefined ? {} : { status: status as InstanceStatus }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    return c.json({ instances: page.instances.map(instanceSummary), ...(page.nextCursor ? { cursor: page.nextCursor } : {}) });
  });

  app.get("/:t/workflows/:w/instances/:id", requireScope("read"), async (c) => {
    const ref = refOf(c.req.param());
    const record = await loadInstance(ref);
    const journal = await deps.journal.load(ref, record.generation);
    return c.json(instanceView(record, journal));
  });

  app.post("/:t/workflows/:w/instances/:id/:action{pause|resume|terminate|restart}", requireScope("run"), async (c) => {
    const ref = refOf(c.req.param());
    await loadInstance(ref);
    const record = await deps.control.apply(ref, c.req.param("action") as LifecycleAction);
    return c.json({ id: record.id, status: record.status, ...(record.control ? { pending: record.control } : {}) });
  });

  app.post("/:t/workflows/:w/instances/:id/events/:type", requireScope("run"), async (c) => {
    const { id, type } = c.req.param();
    const ref = refOf(c.req.param());
    if (!EVENT_TYPE.test(type)) throw badRequest(`invalid event type '${type}': use letters, digits, '_' and '-'`);
    await loadInstance(ref);
    const payload =
      mediaType(c) === "application/json"
        ? await readJson(c, MAX_EVENT_BYTES, "the event payload", null)
        : await readText(c, MAX_EVENT_BYTES, "the event payload");
    await deps.control.deliverEvent(ref, type, payload === "" ? null : payload);
    return c.json({ id, type, accepted: true }, 202);
  });

  app.get("/:t/workflows/:w/instances/:id/logs", requireScope("read"), async (c) => {
    const { t, w, id } = c.req.param();
    await loadInstance(refOf(c.req.param()));
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
