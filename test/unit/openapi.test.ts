/**
 * `GET /openapi.json` describes exactly the routes the gateway registers, read from Hono's
 * `app.routes`, and looks like OpenAPI 3.1.
 */
import { describe, expect, it } from "vitest";
import { createGatewayApp, type GatewayAppDeps } from "../../gateway/app.ts";
import { buildOpenApiDocument, openApiPath, operationKey } from "../../gateway/openapi/document.ts";
import { OPERATIONS } from "../../gateway/openapi/operations.ts";

// Building the app only registers routes; /openapi.json reads none of the dependencies.
const app = createGatewayApp({ metrics: { request() {} } } as unknown as GatewayAppDeps);
const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];

type Operation = { summary?: string; responses?: Record<string, unknown>; parameters?: { name: string; in: string }[]; requestBody?: unknown };
type Document = { openapi: string; info: { title: string; version: string }; paths: Record<string, Record<string, Operation>> };

async function served(): Promise<Document> {
  const response = await app.request("/openapi.json");
  expect(response.status).toBe(200);
  return (await response.json()) as Document;
}

describe("openapi.json", () => {
  it("has every registered route, and nothing else", async () => {
    const document = await served();
    const registered = new Set(app.routes.filter((route) => route.method !== "ALL").map(operationKey));
    const documented = new Set(Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`)));
    expect([...documented].sort()).toEqual([...registered].sort());
    expect(registered.size).toBeGreaterThan(25);
  });

  it("looks like OpenAPI 3.1: every operation has a summary, responses, and its path parameters", async () => {
    const document = await served();
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    expect(document.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    for (const [path, item] of Object.entries(document.paths)) {
      expect(path).toMatch(/^\//);
      for (const [method, operation] of Object.entries(item)) {
        expect(METHODS, `${method} ${path}`).toContain(method);
        expect(operation.summary, `${method} ${path}`).toBeTruthy();
        expect(Object.keys(operation.responses ?? {}).length, `${method} ${path}`).toBeGreaterThan(0);
        const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
        expect(operation.parameters?.filter((p) => p.in === "path").map((p) => p.name) ?? [], `${method} ${path}`).toEqual(inPath);
      }
    }
  });

  it("describes request bodies with the zod schemas the routes validate with", async () => {
    const document = await served();
    const create = document.paths["/v1/tenants/{t}/workflows/{w}/instances"]!.post!;
    expect(create.requestBody).toMatchObject({
      content: { "application/json": { schema: { type: "object", additionalProperties: false, properties: { id: { type: "string" } } } } },
    });
    const action = document.paths["/v1/tenants/{t}/workflows/{w}/instances/{id}/{action}"]!.post!;
    expect(action.parameters).toContainEqual(
      expect.objectContaining({ name: "action", schema: { type: "string", enum: ["pause", "resume", "terminate", "restart"] } }),
    );
  });

  it("refuses a route without a declaration and a declaration without a route", () => {
    expect(() => buildOpenApiDocument([...app.routes, { method: "GET", path: "/v1/new" }], OPERATIONS)).toThrow("GET /v1/new has no declaration");
    expect(() => buildOpenApiDocument([{ method: "GET", path: "/healthz" }], { ...OPERATIONS })).toThrow("GET /metrics is declared but not a route");
  });

  it("spells Hono's path parameters the OpenAPI way", () => {
    expect(openApiPath("/a/:t/:action{pause|resume}")).toEqual({
      path: "/a/{t}/{action}",
      parameters: [{ name: "t" }, { name: "action", values: ["pause", "resume"] }],
    });
  });
});
