/** Deploying (`deploy` scope) and listing (`read` scope) workflows. */
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { ObjectStore } from "@nats-io/obj";
import { artifactName, ErrorCode, resolveSettings } from "../../contract/mod.ts";
import { encodeArtifact } from "../../contract/artifact.ts";
import { requireScope, requireTenantAccess, type AuthEnv } from "../auth.ts";
import { mediaType, readBytes, readJson, readText } from "../body.ts";
import type { Compiler, WorkflowSource } from "../compile/mod.ts";
import { badRequest, HttpError, notFound } from "../errors.ts";
import type { GatewayMetrics } from "../metrics.ts";
import { requireValidWorkflowName } from "../path-names.ts";
import type { Registry, WorkflowRecord, WorkflowVersion } from "../registry.ts";
import { parseBody } from "../validation.ts";

/**
 * A pre-built component carries its language runtime (a componentize-js one is ~10 MB of engine),
 * so the tenant's `limits.sourceBytes` cannot apply to it; this platform-wide cap does.
 */
const MAX_WASM_BYTES = 64 * 1024 * 1024;

const TYPESCRIPT = new Set(["application/typescript", "text/typescript", "application/x-typescript", "text/plain"]);
const JAVASCRIPT = new Set(["application/javascript", "text/javascript"]);

export const deployFilesBody = z.object({
  files: z.record(z.string().min(1).max(256), z.string()).refine((files) => Object.keys(files).length > 0, "at least one file is needed"),
  entry: z.string().min(1),
});

export interface WorkflowRouteDeps {
  registry: Registry;
  compiler: Compiler;
  artifacts: ObjectStore;
  metrics: GatewayMetrics;
}

type Deployable = { kind: "source"; source: WorkflowSource; origin: WorkflowVersion["source"] } | { kind: "wasm"; bytes: Uint8Array };

function sourceTooLarge(tenant: string, limitBytes: number): HttpError {
  return new HttpError(
    413,
    ErrorCode.payloadTooLarge,
    `the source is larger than this tenant's limit of ${limitBytes} bytes (limits.sourceBytes): deploy less code, or ask the platform admin to raise the limit (PUT /v1/tenants/${tenant}/settings)`,
    { limitBytes },
  );
}

/** Reads a source body under `limitBytes`, answering 413 that names the tenant's limit. */
async function withinSourceLimit<T>(tenant: string, limitBytes: number, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof HttpError && error.status === 413) throw sourceTooLarge(tenant, limitBytes);
    throw error;
  }
}

/** `sourceLimitBytes` counts the source itself: all files together, as UTF-8. */
async function readDeployable(c: Context, tenant: string, sourceLimitBytes: number): Promise<Deployable> {
  const type = mediaType(c);
  const readSource = () => withinSourceLimit(tenant, sourceLimitBytes, () => readText(c, sourceLimitBytes, "the source"));
  if (TYPESCRIPT.has(type)) {
    return { kind: "source", source: { files: { "index.ts": await readSource() }, entry: "index.ts" }, origin: "typescript" };
  }
  if (JAVASCRIPT.has(type)) {
    return { kind: "source", source: { files: { "index.js": await readSource() }, entry: "index.js" }, origin: "javascript" };
  }
  if (type === "application/json") {
    // JSON escaping may double the text (newlines, quotes), so the body may be larger than the
    // source it holds; the files themselves are measured once parsed.
    const json = await withinSourceLimit(tenant, sourceLimitBytes, () => readJson(c, 2 * sourceLimitBytes + 64 * 1024, "the source files"));
    const body = parseBody(deployFilesBody, json);
    const encoder = new TextEncoder();
    const totalBytes = Object.values(body.files).reduce((sum, text) => sum + encoder.encode(text).length, 0);
    if (totalBytes > sourceLimitBytes) throw sourceTooLarge(tenant, sourceLimitBytes);
    if (!(body.entry in body.files)) throw badRequest(`entry '${body.entry}' is not one of the files (${Object.keys(body.files).join(", ")})`);
    return { kind: "source", source: body, origin: "files" };
  }
  if (type === "application/wasm") return { kind: "wasm", bytes: await readBytes(c, MAX_WASM_BYTES, "the component") };
  throw new HttpError(
    415,
    ErrorCode.unsupportedMediaType,
    `unsupported content-type '${type || "(none)"}': send application/typescript, application/javascript, application/json ({ files, entry }) or application/wasm`,
  );
}

function workflowView(record: WorkflowRecord) {
  return {
    name: record.name,
    latestVersion: record.latest,
    versions: record.versions.map((v) => ({
      version: v.version,
      createdAt: new Date(v.createdAt).toISOString(),
      source: v.source,
      ...(v.capabilities ? { capabilities: v.capabilities } : {}),
    })),
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
  };
}

export function workflowRoutes(deps: WorkflowRouteDeps) {
  const app = new Hono<AuthEnv>();
  app.use("/:t/*", requireTenantAccess(deps.registry));
  app.use("/:t/workflows/:w/*", requireValidWorkflowName);

  app.put("/:t/workflows/:w", requireScope("deploy"), async (c) => {
    const tenant = c.req.param("t");
    const name = c.req.param("w");
    const started = performance.now();
    const { limits } = resolveSettings(await deps.registry.getSettings(tenant));
    const deployable = await readDeployable(c, tenant, limits.sourceBytes);
    const version = await deps.compiler.versionOf(deployable.kind === "wasm" ? deployable.bytes : deployable.source);
    const existing = await deps.registry.getWorkflow(tenant, name);
    const known = existing?.record.versions.find((v) => v.version === version);
    if (known && (await deps.artifacts.info(artifactName(tenant, name, version)))) {
      // Identical source: nothing to compile; it becomes the latest version again.
      await deps.registry.publishVersion(tenant, name, known);
      return c.json(
        {
          version,
          unchanged: true,
          ...(known.capabilities ? { capabilities: known.capabilities } : {}),
          ...(known.warnings?.length ? { warnings: known.warnings } : {}),
        },
        201,
      );
    }
    const output = deployable.kind === "wasm" ? await deps.compiler.compileWasm(deployable.bytes) : await deps.compiler.compileSource(deployable.source);
    await deps.artifacts.putBlob({ name: artifactName(tenant, name, version) }, encodeArtifact(output.artifact));
    const entry: WorkflowVersion = {
      version,
      createdAt: Date.now(),
      source: deployable.kind === "wasm" ? "wasm" : deployable.origin,
      capabilities: output.capabilities,
      ...(output.warnings.length > 0 ? { warnings: output.warnings } : {}),
    };
    await deps.registry.publishVersion(tenant, name, entry);
    deps.metrics.deploy(performance.now() - started);
    return c.json({ version, capabilities: output.capabilities, ...(output.warnings.length > 0 ? { warnings: output.warnings } : {}) }, 201);
  });

  app.get("/:t/workflows", requireScope("read"), async (c) => {
    const workflows = await deps.registry.listWorkflows(c.req.param("t"));
    return c.json({ workflows: workflows.map((w) => ({ name: w.name, latestVersion: w.latest, updatedAt: new Date(w.updatedAt).toISOString() })) });
  });

  app.get("/:t/workflows/:w", requireScope("read"), async (c) => {
    const found = await deps.registry.getWorkflow(c.req.param("t"), c.req.param("w"));
    if (!found) throw notFound(`workflow '${c.req.param("w")}'`);
    return c.json(workflowView(found.record));
  });

  return app;
}
