import { describe, expect, it } from "vitest";
import { allowedMethods, routePattern } from "../../gateway/allowed-methods.ts";

const routes = [
  { method: "ALL", path: "/v1/*" },
  { method: "GET", path: "/healthz" },
  { method: "POST", path: "/v1/tenants" },
  { method: "DELETE", path: "/v1/tenants/:t/workflows/:w/instances/:id" },
  { method: "GET", path: "/v1/tenants/:t/workflows/:w/instances/:id" },
  { method: "POST", path: "/v1/tenants/:t/workflows/:w/instances/:id/:action{pause|resume}" },
  { method: "GET", path: "/v1/tenants/:t/workflows/:w/instances/:id/steps/:name/:count" },
  { method: "GET", path: "/v1/tenants/:t/workflows/:w/instances/:id/steps/:name/:count" },
];

describe("routePattern", () => {
  it("matches one segment per parameter, and no more", () => {
    expect(routePattern("/a/:id").test("/a/x")).toBe(true);
    expect(routePattern("/a/:id").test("/a/x/y")).toBe(false);
    expect(routePattern("/a/:id").test("/a/")).toBe(false);
  });

  it("holds a parameter to its pattern", () => {
    expect(routePattern("/i/:action{pause|resume}").test("/i/pause")).toBe(true);
    expect(routePattern("/i/:action{pause|resume}").test("/i/explode")).toBe(false);
    expect(routePattern("/i/:action{pause|resume}").test("/i/pauses")).toBe(false);
  });

  it("treats a trailing * as anything, including nothing, and an optional parameter as optional", () => {
    expect(routePattern("/v1/*").test("/v1")).toBe(true);
    expect(routePattern("/v1/*").test("/v1/a/b")).toBe(true);
    expect(routePattern("/a/:b?").test("/a")).toBe(true);
    expect(routePattern("/a/:b?").test("/a/x")).toBe(true);
  });

  it("takes literal segments literally", () => {
    expect(routePattern("/a.b").test("/axb")).toBe(false);
    expect(routePattern("/").test("/")).toBe(true);
  });
});

describe("allowedMethods", () => {
  it("lists every method of the routes that match, once, in a fixed order, ignoring middleware", () => {
    expect(allowedMethods(routes, "/v1/tenants/acme/workflows/sink/instances/i1")).toEqual(["GET", "DELETE"]);
    expect(allowedMethods(routes, "/v1/tenants/acme/workflows/sink/instances/i1/steps/load/1")).toEqual(["GET"]);
    expect(allowedMethods(routes, "/v1/tenants")).toEqual(["POST"]);
    expect(allowedMethods(routes, "/healthz")).toEqual(["GET"]);
  });

  it("answers nothing for a path no route has, so the caller answers 404", () => {
    expect(allowedMethods(routes, "/v1/nothing")).toEqual([]);
    expect(allowedMethods(routes, "/v1/tenants/acme/workflows/sink/instances/i1/explode")).toEqual([]);
  });
});
