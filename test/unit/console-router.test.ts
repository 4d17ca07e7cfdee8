/** The console's `#/…` addresses (console/router.ts): every page and filter survives a round trip. */
import { describe, expect, it } from "vitest";
import { parseRoute, routeHref, type Route } from "../../console/router.ts";

describe("console routes", () => {
  it("writes and reads back every page", () => {
    const routes: Route[] = [
      { page: "workflows" },
      { page: "instances", workflow: "orders", filter: {} },
      { page: "instances", workflow: "orders", filter: { status: "errored", createdAfter: "2026-12-02T10:00", createdBefore: "2026-12-02T11:00" } },
      { page: "instances", workflow: "orders", filter: { id: "order-1" } },
      { page: "instance", workflow: "orders", id: "order_1-a" },
    ];
    for (const route of routes) expect(parseRoute(routeHref(route))).toEqual(route);
  });

  it("takes anything it does not know for the workflows page, and ignores unknown statuses", () => {
    expect(parseRoute("")).toEqual({ page: "workflows" });
    expect(parseRoute("#/nowhere/at/all")).toEqual({ page: "workflows" });
    expect(parseRoute("#/workflows/orders/instances")).toEqual({ page: "workflows" });
    expect(parseRoute("#/workflows/orders?status=exploded")).toEqual({ page: "instances", workflow: "orders", filter: {} });
  });

  it("escapes what it puts in an address", () => {
    expect(routeHref({ page: "instance", workflow: "orders", id: "a/b" })).toBe("#/workflows/orders/instances/a%2Fb");
    expect(parseRoute("#/workflows/orders/instances/a%2Fb")).toEqual({ page: "instance", workflow: "orders", id: "a/b" });
  });
});
