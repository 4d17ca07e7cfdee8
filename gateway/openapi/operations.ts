/**
 * What the route table cannot say about each route: its summary, query parameters, request body and
 * responses. Request bodies are the zod schemas the handlers validate with, so the document cannot
 * drift from what the gateway accepts. Keyed `METHOD path` exactly as Hono registers the route;
 * document.ts refuses a route without an entry here, and an entry without a route.
 */
import { createTokenRequestSchema, tenantSettingsSchema } from "../../contract/mod.ts";
import { createInstanceBody, restartInstanceBody, terminateInstancesBody } from "../routes/instances.ts";
import { createTenantBody } from "../routes/tenants.ts";
import { deployFilesBody } from "../routes/workflows.ts";
import type { OperationDeclaration } from "./types.ts";

const text = { schema: { type: "string" } } as const;
const anyJson = { schema: {} } as const;

export const OPERATIONS: Record<string, OperationDeclaration> = {
  "GET /healthz": {
    summary: "Whether the gateway reaches NATS",
    tag: "operations",
    public: true,
    responses: { 200: "NATS is reachable", 503: "NATS is unreachable" },
  },
  "GET /readyz": {
    summary: "Whether the gateway can serve requests: its NATS connection is up, not reconnecting",
    tag: "operations",
    public: true,
    responses: { 200: "Ready", 503: "NATS is reconnecting; retry after Retry-After" },
  },
  "GET /metrics": { summary: "Prometheus metrics (text exposition format)", tag: "operations", public: true, responses: { 200: "The metrics" } },
  "GET /openapi.json": { summary: "This document", tag: "operations", public: true, responses: { 200: "The OpenAPI 3.1 document" } },

  // The web console: public files; the page signs in with a tenant token and calls the /v1 routes with it.
  "GET /console": { summary: "The web console (HTML)", tag: "console", public: true, responses: { 200: "The console page", 304: "Not modified (ETag)" } },
  "GET /console/app.js": { summary: "The web console's script", tag: "console", public: true, responses: { 200: "JavaScript", 304: "Not modified (ETag)" } },
  "GET /console/app.css": { summary: "The web console's stylesheet", tag: "console", public: true, responses: { 200: "CSS", 304: "Not modified (ETag)" } },

  "POST /v1/tenants": {
    summary: "Create a tenant and its first token (platform admin)",
    tag: "tenants",
    body: { "application/json": createTenantBody },
    responses: { 201: "The tenant id and its first token (shown once)", 409: "The tenant exists" },
  },
  "PUT /v1/tenants/{t}/settings": {
    summary: "Replace a tenant's settings: limits, egress, env vars, retention (platform admin)",
    tag: "tenants",
    body: { "application/json": tenantSettingsSchema },
    responses: { 200: "The settings as stored" },
  },
  "GET /v1/tenants/{t}/settings": { summary: "A tenant's settings (platform admin)", tag: "tenants", responses: { 200: "The settings" } },
  "GET /v1/tenants/{t}/secrets": { summary: "List secret names and when each was set (never values)", tag: "secrets", responses: { 200: "The secrets" } },
  "GET /v1/tenants/{t}/secrets/{name}": {
    summary: "When a secret was set (never its value)",
    tag: "secrets",
    responses: { 200: "The secret's name and updatedAt" },
  },
  "PUT /v1/tenants/{t}/secrets/{name}": {
    summary: "Set a secret; the body is its value",
    tag: "secrets",
    body: { "text/plain": text },
    responses: { 204: "Stored, sealed with KILN_SECRETS_KEY" },
  },
  "DELETE /v1/tenants/{t}/secrets/{name}": { summary: "Delete a secret", tag: "secrets", responses: { 204: "Deleted" } },

  "POST /v1/tenants/{t}/tokens": {
    summary: "Issue a tenant token with scopes",
    tag: "tokens",
    body: { "application/json": createTokenRequestSchema },
    responses: { 201: "The token (shown once) and its record", 409: "A token of that name exists" },
  },
  "GET /v1/tenants/{t}/tokens": { summary: "List a tenant's tokens (never their secrets)", tag: "tokens", responses: { 200: "The tokens" } },
  "GET /v1/tenants/{t}/tokens/{name}": { summary: "One token's record", tag: "tokens", responses: { 200: "The token's record" } },
  "DELETE /v1/tenants/{t}/tokens/{name}": { summary: "Revoke a token", tag: "tokens", responses: { 204: "Revoked" } },

  "PUT /v1/tenants/{t}/workflows/{w}": {
    summary: "Deploy a workflow version from TypeScript, JavaScript, a set of files, or a compiled component",
    tag: "workflows",
    body: {
      "application/typescript": text,
      "application/javascript": text,
      "application/json": deployFilesBody,
      "application/wasm": { schema: { type: "string", contentMediaType: "application/wasm" } },
    },
    responses: {
      201: "The version and its capabilities; `unchanged: true` when the same source was deployed before",
      413: "Larger than limits.sourceBytes",
      415: "Unsupported content-type",
      422: "Compile errors, each with file, line and column",
    },
  },
  "GET /v1/tenants/{t}/workflows": { summary: "List workflows with their latest versions", tag: "workflows", responses: { 200: "The workflows" } },
  "GET /v1/tenants/{t}/workflows/{w}": { summary: "A workflow with its versions and capabilities", tag: "workflows", responses: { 200: "The workflow" } },

  "POST /v1/tenants/{t}/workflows/{w}/instances": {
    summary: "Create an instance of the latest version",
    tag: "instances",
    body: { "application/json": createInstanceBody },
    responses: { 201: "The instance id and version", 409: "An instance with that id exists", 429: "Over limits.maxInstances or limits.createsPerSecond" },
  },
  "POST /v1/tenants/{t}/workflows/{w}/instances/batch": {
    summary: "Create up to 100 instances at once",
    tag: "instances",
    body: { "application/json": createInstanceBody.array() },
    responses: { 201: "Each instance's id, version or error", 429: "Over a create limit" },
  },
  "POST /v1/tenants/{t}/workflows/{w}/instances/terminate": {
    summary: "Terminate up to 100 instances at once",
    tag: "instances",
    body: { "application/json": terminateInstancesBody },
    responses: { 200: "Each instance's status or error" },
  },
  "GET /v1/tenants/{t}/workflows/{w}/instances": {
    summary: "List instances, newest first, by status and creation time",
    tag: "instances",
    query: {
      status: "Only instances in this status",
      limit: "Page size, 1 to 1000 (default 50)",
      cursor: "The cursor of the previous page",
      createdAfter: "ISO 8601 time or epoch milliseconds",
      createdBefore: "ISO 8601 time or epoch milliseconds",
    },
    responses: { 200: "A page of instance summaries and the next cursor, if any" },
  },
  "GET /v1/tenants/{t}/workflows/{w}/instances/{id}": {
    summary: "An instance: status, steps, output or error",
    tag: "instances",
    responses: { 200: "The instance" },
  },
  "DELETE /v1/tenants/{t}/workflows/{w}/instances/{id}": {
    summary: "Delete an instance and its journal",
    tag: "instances",
    query: { force: "1 deletes a running instance too, terminating it first" },
    responses: { 204: "Deleted", 409: "The instance is running and force is not 1" },
  },
  "GET /v1/tenants/{t}/workflows/{w}/instances/{id}/steps/{name}/{count}": {
    summary: "One step of an instance: its attempts, result or error",
    tag: "instances",
    responses: { 200: "The step" },
  },
  "POST /v1/tenants/{t}/workflows/{w}/instances/{id}/{action}": {
    summary: "Pause, resume, terminate or restart an instance; restart may take `{ from: { name, count } }`",
    tag: "instances",
    body: { "application/json": restartInstanceBody },
    responses: { 200: "The instance's status, and the control still pending if any" },
  },
  "POST /v1/tenants/{t}/workflows/{w}/instances/{id}/events/{type}": {
    summary: "Send an event to an instance (waitForEvent); JSON or text payload",
    tag: "instances",
    body: { "application/json": anyJson, "text/plain": text },
    responses: { 202: "Accepted" },
  },
  "GET /v1/tenants/{t}/workflows/{w}/instances/{id}/stream": {
    summary: "Server-sent `status` events until the instance ends",
    tag: "instances",
    responses: { 200: "An event stream (text/event-stream)" },
  },
  "GET /v1/tenants/{t}/workflows/{w}/instances/{id}/logs": {
    summary: "An instance's log lines; with follow=1, server-sent `log` events as they come",
    tag: "instances",
    query: { follow: "1 to follow as server-sent events" },
    responses: { 200: "The lines, or an event stream with follow=1" },
  },
};
