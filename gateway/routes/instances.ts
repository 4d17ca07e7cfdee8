/** Instances of a workflow: create, events and lifecycle (`run` scope); list, inspect and logs (`read` scope). */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import type { JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import {
  EVENT_TYPE,
  INSTANCE_ID,
  instanceRetention,
  retentionSchema,
  INSTANCE_STATUSES,
  MAX_STEP_NAME_LENGTH,
  stepKey,
  type InstanceRecord,
  type InstanceRef,
  type InstanceStatus,
} from "../../contract/mod.ts";
import type { InstanceStore } from "../../infra/instance-store.ts";
import type { InstanceIndex } from "../../infra/instance-index.ts";
import { InvalidCursorError, listInstances } from "../../infra/instance-listing.ts";
import type { JournalStore } from "../../infra/journal-store.ts";
import { requireScope, requireTenantAccess, type AuthEnv } from "../auth.ts";
import { mediaType, readJson, readText } from "../body.ts";
import { badRequest, HttpError, notFound } from "../errors.ts";
import type { InstanceControl, LifecycleAction } from "../instance-control.ts";
import { findStepView, instanceSummary, instanceView, statusChange } from "../instance-view.ts";
import { followStatus } from "../status-stream.ts";
import { followLogs, readLogs } from "../log-reader.ts";
import { requireValidWorkflowName } from "../path-names.ts";
import type { Registry } from "../registry.ts";
import { parseBody } from "../validation.ts";

/** A time in a query: an ISO 8601 date-time or epoch milliseconds. */
function timeQuery(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^[0-9]{1,15}$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) throw badRequest(`${name} must be an ISO 8601 time (2026-12-02T10:00:00Z) or epoch milliseconds, got '${value}'`);
  return ms;
}

const MAX_PARAMS_BYTES = 1024 * 1024;
const MAX_EVENT_BYTES = 1024 * 1024;
/** A batch holds at most 100 instances and 1 MiB, as in Cloudflare Workflows' createBatch. */
const MAX_BATCH = 100;
const MAX_BATCH_BYTES = 1024 * 1024;

/** `restart` may name a completed step to run again from, keeping the steps before it. */
export const restartInstanceBody = z
  .object({
    from: z
      .object({
        name: z.string().min(1).max(MAX_STEP_NAME_LENGTH),
        count: z.number().int().min(1, "count is the step's occurrence in the run, from 1").max(1_000_000),
      })
      .strict()
      .optional(),
  })
  .strict();

export const createInstanceBody = z
  .object({
    id: z.string().regex(INSTANCE_ID, "instance ids are letters, digits, '_' and '-', up to 100 characters").optional(),
    params: z.unknown().optional(),
    retention: retentionSchema.optional(),
  })
  .strict();

const retentionOf = (body: { retention?: z.infer<typeof retentionSchema> | undefined }) =>
  body.retention === undefined ? undefined : instanceRetention(body.retention);

export const instanceId = z.string().regex(INSTANCE_ID, "instance ids are letters, digits, '_' and '-', up to 100 characters");

/** `POST …/instances/terminate`: up to `MAX_BATCH` instances at once. */
export const terminateInstancesBody = z.object({ ids: z.array(instanceId).min(1).max(MAX_BATCH, `a batch holds at most ${MAX_BATCH} instances`) }).strict();

export interface InstanceRouteDeps {
  nc: NatsConnection;
  registry: Registry;
  instances: InstanceStore;
  index: InstanceIndex;
  journal: JournalStore;
  control: InstanceControl;
  js: JetStreamClient;
}

export function instanceRoutes(deps: InstanceRouteDeps) {
  const app = new Hono<AuthEnv>();
  app.use("/:t/*", requireTenantAccess(deps.registry));
  app.use("/:t/workflows/:w/*", requireValidWorkflowName);

  async function latestVersion(tenant: string, workflow: string): Promise<string> {
    const latest = await deps.registry.latestVersion(tenant, workflow);
    if (latest === undefined) throw notFound(`workflow '${workflow}'`);
    return latest;
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
    const body = parseBody(createInstanceBody, await readJson(c, MAX_PARAMS_BYTES, "the request body", {}));
    const version = await latestVersion(t, w);
    const record = await deps.control.create(t, w, version, { id: body.id ?? crypto.randomUUID(), params: body.params ?? null, retention: retentionOf(body) });
    return c.json({ id: record.id, version: record.version }, 201);
  });

  app.post("/:t/workflows/:w/instances/batch", requireScope("run"), async (c) => {
    const { t, w } = c.req.param();
    const body = await readJson(c, MAX_BATCH_BYTES, "the batch");
    const items = parseBody(z.array(createInstanceBody).min(1).max(MAX_BATCH, `a batch holds at most ${MAX_BATCH} instances`), body);
    const ids = items.map((item) => item.id ?? crypto.randomUUID());
    const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
    if (duplicate) throw badRequest(`instance id '${duplicate}' appears twice in the batch`);
    const version = await latestVersion(t, w);
    const created = await deps.control.createBatch(
      t,
      w,
      version,
      items.map((item, index) => ({ id: ids[index]!, params: item.params ?? null, retention: retentionOf(item) })),
    );
    const results = created.map((result, index) =>
      result instanceof HttpError ? { id: ids[index]!, error: { code: result.code, message: result.message } } : { id: result.id, version: result.version },
    );
    return c.json({ instances: results }, 201);
  });

  app.post("/:t/workflows/:w/instances/terminate", requireScope("run"), async (c) => {
    const { t, w } = c.req.param();
    const { ids } = parseBody(terminateInstancesBody, await readJson(c, MAX_BATCH_BYTES, "the request body"));
    await latestVersion(t, w);
    const results = await Promise.all(
      [...new Set(ids)].map(async (id) => {
        try {
          const record = await deps.control.apply({ tenant: t, workflow: w, instance: id }, "terminate");
          return { id, status: record.status, ...(record.control ? { pending: record.control } : {}) };
        } catch (error) {
          if (error instanceof HttpError) return { id, error: { code: error.code, message: error.message } };
          throw error;
        }
      }),
    );
    return c.json({ instances: results });
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
    const createdAfter = timeQuery(c.req.query("createdAfter"), "createdAfter");
    const createdBefore = timeQuery(c.req.query("createdBefore"), "createdBefore");
    await latestVersion(t, w);
    const page = await listInstances(deps.instances, deps.index, t, w, {
      limit,
      ...(status === undefined ? {} : { status: status as InstanceStatus }),
      ...(cursor === undefined ? {} : { cursor }),
      ...(createdAfter === undefined ? {} : { createdAfter }),
      ...(createdBefore === undefined ? {} : { createdBefore }),
    }).catch((error: unknown) => {
      throw error instanceof InvalidCursorError ? badRequest(error.message) : error;
    });
    return c.json({ instances: page.instances.map(instanceSummary), ...(page.nextCursor ? { cursor: page.nextCursor } : {}) });
  });

  app.get("/:t/workflows/:w/instances/:id", requireScope("read"), async (c) => {
    const ref = refOf(c.req.param());
    const snapshot = deps.journal.readSnapshotAhead(ref);
    const record = await loadInstance(ref);
    const journal = await deps.journal.loadAfter(ref, record.generation, record.activations, record.keptSteps, snapshot);
    return c.json(instanceView(record, journal));
  });

  app.delete("/:t/workflows/:w/instances/:id", requireScope("run"), async (c) => {
    const force = c.req.query("force");
    if (force !== undefined && force !== "1") throw badRequest(`force is '1' or absent, got '${force}'`);
    const ref = refOf(c.req.param());
    await loadInstance(ref);
    await deps.control.remove(ref, force === "1");
    return c.body(null, 204);
  });

  app.get("/:t/workflows/:w/instances/:id/steps/:name/:count", requireScope("read"), async (c) => {
    const { name, count } = c.req.param();
    if (!/^[1-9][0-9]{0,5}$/.test(count)) throw badRequest(`invalid step count '${count}': the occurrence of the step's name in the run, from 1`);
    if (name.length === 0 || name.length > MAX_STEP_NAME_LENGTH) throw badRequest(`a step name has 1 to ${MAX_STEP_NAME_LENGTH} characters`);
    const ref = refOf(c.req.param());
    const snapshot = deps.journal.readSnapshotAhead(ref);
    const record = await loadInstance(ref);
    const journal = await deps.journal.loadAfter(ref, record.generation, record.activations, record.keptSteps, snapshot);
    const view = findStepView(record, journal, stepKey(name, Number(count)));
    if (!view) throw notFound(`step '${name}' #${count} of instance '${ref.instance}'`);
    return c.json(view);
  });

  app.post("/:t/workflows/:w/instances/:id/:action{pause|resume|terminate|restart}", requireScope("run"), async (c) => {
    const ref = refOf(c.req.param());
    const action = c.req.param("action") as LifecycleAction;
    const body = action === "restart" ? parseBody(restartInstanceBody, await readJson(c, 4096, "the request body", {})) : {};
    await loadInstance(ref);
    const record = await deps.control.apply(ref, action, body.from);
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

  app.get("/:t/workflows/:w/instances/:id/stream", requireScope("read"), async (c) => {
    const ref = refOf(c.req.param());
    await loadInstance(ref);
    return streamSSE(c, async (stream) => {
      const abort = new AbortController();
      stream.onAbort(() => abort.abort());
      for await (const record of followStatus(deps.nc, deps.instances, ref, abort.signal)) {
        await stream.writeSSE({ event: "status", data: JSON.stringify(statusChange(record)) });
      }
    });
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
