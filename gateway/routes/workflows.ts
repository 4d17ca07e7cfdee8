/** Deploying and listing workflows. */
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { ObjectStore } from "@nats-io/obj";
import { artifactName, ErrorCode, WORKFLOW_NAME } from "../../contract/mod.ts";
import { encodeArtifact } from "../../contract/artifact.ts";
import { requireTenantAccess, type AuthEnv } from "../auth.ts";
import { mediaType, readBytes, readJson, readText } from "../body.ts";
import type { Compiler, WorkflowSource } from "../compile/mod.ts";
import { badRequest, HttpError, notFound } from "../errors.ts";
import type { GatewayMetrics } from "../metrics.ts";
import type { Registry, WorkflowRecord, WorkflowVersion } from "../registry.ts";
import { parseBody } from "../validation.ts";

const MAX_SOURCE_BYTES = 1024 * 1024;
const MAX_WASM_BYTES = 64 * 1024 * 1024;

const TYPESCRIPT = new Set(["application/typescript", "text/typescript", "application/x-typescript", "text/plain"]);
const JAVASCRIPT = new Set(["application/javascript", "text/javascript"]);

const filesBody = z.object({
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

async function readDeployable(c: Context): Promise<Deployable> {
  const type = mediaType(c);
  if (TYPESCRIPT.has(type)) {
    return { kind: "source", source: { files: { "index.ts": await readText(c, MAX_SOURCE_BYTES, "the source") }, entry: "index.ts" }, origin: "typescript" };
  }
  if (JAVASCRIPT.has(type)) {
    return { kind: "source", source: { files: { "index.js": await readText(c, MAX_SOURCE_BYTES, "the source") }, entry: "index.js" }, origin: "javascript" };
  }
  if (type === "application/json") {
    const body = parseBody(filesBody, await readJson(c, MAX_SOURCE_BYTES, "the source files"));
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
    versions: record.versions.map((v) => ({ version: v.version, createdAt: new Date(v.createdAt).toISOString(), source: v.source })),
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
  };
}

export function workflowRoutes(deps: WorkflowRouteDeps) {
  const app = new Hono<AuthEnv>();
  app.use("/:t/*", requireTenantAccess(deps.registry));

  app.put("/:t/workflows/:w", async (c) => {
    const tenant = c.req.param("t");
    const name = c.req.param("w");
    if (!WORKFLOW_NAME.test(name)) throw badRequest(`invalid workflow name '${name}': use lowercase letters, digits and '-', up to 63 characters`);
    const started = performance.now();
    const deployable = await readDeployable(c);
    const version = await deps.compiler.versionOf(deployable.kind === "wasm" ? deployable.bytes : deployable.source);
    const existing = await deps.registry.getWorkflow(tenant, name);
    const known = existing?.record.versions.find((v) => v.version === version);
    if (known && (await deps.artifacts.info(artifactName(tenant, name, version)))) {
      // Identical source: nothing to compile; it becomes the latest version again.
      await deps.registry.publishVersion(tenant, name, known);
      return c.json({ version, unchanged: true, ...(known.warnings?.length ? { warnings: known.warnings } : {}) }, 201);
    }
    const output = deployable.kind === "wasm" ? await deps.compiler.compileWasm(deployable.bytes) : await deps.compiler.compileSource(deployable.source);
    await deps.artifacts.putBlob({ name: artifactName(tenant, name, version) }, encodeArtifact(output.artifact));
    const entry: WorkflowVersion = {
      version,
      createdAt: Date.now(),
      source: deployable.kind === "wasm" ? "wasm" : deployable.origin,
      ...(output.warnings.length > 0 ? { warnings: output.warnings } : {}),
    };
    await deps.registry.publishVersion(tenant, name, entry);
    deps.metrics.deploy(performance.now() - started);
    return c.json({ version, ...(output.warnings.length > 0 ? { warnings: output.warnings } : {}) }, 201);
  });

  app.get("/:t/workflows", async (c) => {
    const workflows = await deps.registry.listWorkflows(c.req.param("t"));
    return c.json({ workflows: workflows.map((w) => ({ name: w.name, latestVersion: w.latest, updatedAt: new Date(w.updatedAt).toISOString() })) });
  });

  app.get("/:t/workflows/:w", async (c) => {
    const found = await deps.registry.getWorkflow(c.req.param("t"), c.req.param("w"));
    if (!found) throw notFound(`workflow '${c.req.param("w")}'`);
    return c.json(workflowView(found.record));
  });

  return app;
}
