/**
 * The gateway's OpenAPI 3.1 document, built from the app's own route table (Hono's `app.routes`)
 * and one declaration per route (operations.ts). Built once when the app is made: a route added
 * without a declaration, or a declaration left behind by a removed route, fails start-up and the
 * unit tests instead of shipping a document that lies.
 */
import { z } from "zod";
import type { RegisteredRoute } from "../allowed-methods.ts";
import type { HandSchema, JsonObject, OperationDeclaration } from "./types.ts";

/** What each path parameter is, by the name the routes give it. */
const PATH_PARAMETERS: Record<string, string> = {
  t: "Tenant id",
  w: "Workflow name",
  id: "Instance id",
  name: "Secret, token or step name",
  count: "The step's occurrence in the run, from 1",
  type: "Event type",
  action: "What to do to the instance",
};

const ERROR_RESPONSES: Record<number, string> = {
  400: "Invalid request: the message names the field",
  404: "No such tenant, workflow or instance (or not this token's)",
  500: "Internal error",
  503: "NATS is unreachable: retry after Retry-After",
};
const AUTH_RESPONSES: Record<number, string> = { 401: "Missing or unknown token", 403: "The token lacks the scope this route needs" };

/** `:t`, `:action{a|b}` → `{t}`, `{action}` with its allowed values. */
export function openApiPath(honoPath: string): { path: string; parameters: { name: string; values?: string[] }[] } {
  const parameters: { name: string; values?: string[] }[] = [];
  const path = honoPath.replace(/:([A-Za-z0-9_]+)(?:\{([^}]+)\})?/g, (_match, name: string, pattern: string | undefined) => {
    parameters.push(pattern && /^[\w|-]+$/.test(pattern) ? { name, values: pattern.split("|") } : { name });
    return `{${name}}`;
  });
  return { path, parameters };
}

/** `METHOD path` in OpenAPI spelling: the key of operations.ts. */
export const operationKey = (route: RegisteredRoute): string => `${route.method} ${openApiPath(route.path).path}`;

function schemaOf(body: z.ZodType | HandSchema): JsonObject {
  if (!(body instanceof z.ZodType)) return body.schema;
  // What a client may send (input), not what the handler gets after defaults and transforms.
  const { $schema: _dialect, ...schema } = z.toJSONSchema(body, { io: "input", unrepresentable: "any" });
  return schema;
}

function operation(declaration: OperationDeclaration, pathParameters: { name: string; values?: string[] }[]): JsonObject {
  const parameters = [
    ...pathParameters.map(({ name, values }) => ({
      name,
      in: "path",
      required: true,
      description: PATH_PARAMETERS[name] ?? name,
      schema: values ? { type: "string", enum: values } : { type: "string" },
    })),
    ...Object.entries(declaration.query ?? {}).map(([name, description]) => ({ name, in: "query", required: false, description, schema: { type: "string" } })),
  ];
  const statuses = { ...ERROR_RESPONSES, ...(declaration.public ? {} : AUTH_RESPONSES), ...declaration.responses };
  const responses = Object.fromEntries(
    Object.entries(statuses).map(([status, description]) => [
      status,
      Number(status) >= 400 ? { description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } } : { description },
    ]),
  );
  return {
    summary: declaration.summary,
    tags: [declaration.tag],
    ...(declaration.public ? { security: [] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(declaration.body
      ? {
          requestBody: {
            required: true,
            content: Object.fromEntries(Object.entries(declaration.body).map(([type, body]) => [type, { schema: schemaOf(body) }])),
          },
        }
      : {}),
    responses,
  };
}

/** The document for `routes` (middleware, method `ALL`, is left out); throws naming every route and declaration that do not pair up. */
export function buildOpenApiDocument(routes: readonly RegisteredRoute[], operations: Readonly<Record<string, OperationDeclaration>>): JsonObject {
  const paths: Record<string, Record<string, JsonObject>> = {};
  const undeclared: string[] = [];
  const used = new Set<string>();
  for (const route of routes) {
    if (route.method === "ALL") continue;
    const key = operationKey(route);
    if (used.has(key)) continue; // each guard of a route is listed as a route of its own
    used.add(key);
    const declaration = operations[key];
    if (!declaration) {
      undeclared.push(key);
      continue;
    }
    const { path, parameters } = openApiPath(route.path);
    (paths[path] ??= {})[route.method.toLowerCase()] = operation(declaration, parameters);
  }
  const stale = Object.keys(operations).filter((key) => !used.has(key));
  if (undeclared.length > 0 || stale.length > 0) {
    throw new Error(
      `gateway/openapi/operations.ts does not match the routes: ${[
        ...undeclared.map((key) => `${key} has no declaration`),
        ...stale.map((key) => `${key} is declared but not a route`),
      ].join("; ")}`,
    );
  }
  return {
    openapi: "3.1.0",
    info: { title: "Kiln gateway", version: "v1", description: "Durable workflows for tenants. Every /v1 route takes `Authorization: Bearer <token>`." },
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "The platform admin token or a tenant token" } },
      schemas: {
        Error: {
          type: "object",
          required: ["error"],
          properties: {
            error: {
              type: "object",
              required: ["code", "message"],
              properties: { code: { type: "string", description: "Stable error code" }, message: { type: "string" } },
            },
          },
        },
      },
    },
    security: [{ bearer: [] }],
  };
}
