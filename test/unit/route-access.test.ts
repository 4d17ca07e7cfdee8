/**
 * Every route under `/v1` states who may call it, in its own registration (gateway/auth.ts): a tenant
 * token scope, or the platform admin alone. Walks Hono's `app.routes`, so a route added without a
 * guard fails here, not in production.
 */
import { describe, expect, it } from "vitest";
import { createGatewayApp, type GatewayAppDeps } from "../../gateway/app.ts";
import { routeAccessOf, type RouteAccess } from "../../gateway/auth.ts";

// Building the app only registers routes and closures over its dependencies; no handler runs here.
const app = createGatewayApp({} as GatewayAppDeps);

/** `METHOD path` → the access its guards demand, for every route that answers a request (not `use` middleware). */
function accessByRoute(): Map<string, RouteAccess[]> {
  const routes = new Map<string, RouteAccess[]>();
  for (const route of app.routes) {
    if (route.method === "ALL" || !route.path.startsWith("/v1/")) continue;
    const key = `${route.method} ${route.path}`;
    const access = routeAccessOf(route.handler);
    routes.set(key, [...(routes.get(key) ?? []), ...(access === undefined ? [] : [access])]);
  }
  return routes;
}

describe("route access", () => {
  it("gives every /v1 route exactly one guard: requireScope(...) or requirePlatformAdmin", () => {
    const routes = accessByRoute();
    expect(routes.size).toBeGreaterThan(15);
    const unguarded = [...routes].filter(([, access]) => access.length !== 1).map(([route, access]) => `${route} (${access.length} guards)`);
    expect(unguarded, 'add requireScope("…") to these routes (see gateway/auth.ts)').toEqual([]);
  });

  it("asks for the scope the README's API table names", () => {
    const routes = accessByRoute();
    const expected: [string, RouteAccess][] = [
      ["POST /v1/tenants", "platform-admin"],
      ["PUT /v1/tenants/:t/settings", "platform-admin"],
      ["PUT /v1/tenants/:t/secrets/:name", "deploy"],
      ["PUT /v1/tenants/:t/workflows/:w", "deploy"],
      ["GET /v1/tenants/:t/workflows", "read"],
      ["POST /v1/tenants/:t/workflows/:w/instances", "run"],
      ["POST /v1/tenants/:t/workflows/:w/instances/:id/:action{pause|resume|terminate|restart}", "run"],
      ["POST /v1/tenants/:t/workflows/:w/instances/:id/events/:type", "run"],
      ["GET /v1/tenants/:t/workflows/:w/instances/:id", "read"],
      ["GET /v1/tenants/:t/workflows/:w/instances/:id/logs", "read"],
      ["POST /v1/tenants/:t/tokens", "admin"],
      ["DELETE /v1/tenants/:t/tokens/:name", "admin"],
    ];
    for (const [route, access] of expected) expect(routes.get(route), route).toEqual([access]);
  });
});
