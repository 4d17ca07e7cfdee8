/**
 * Names in a request's path become NATS subject tokens and KV keys (DESIGN.md, "Names on the wire"),
 * so a name outside its rule is refused with 400 here, before any lookup: NATS would refuse a key
 * with '.', '*', '>' or a space with an error of its own, and a 300-character name is no name.
 */
import type { MiddlewareHandler } from "hono";
import { TENANT_NAME, WORKFLOW_NAME } from "../contract/mod.ts";
import { badRequest } from "./errors.ts";

export function checkTenantName(name: string): string {
  if (!TENANT_NAME.test(name)) throw badRequest(`invalid tenant id '${name}': tenant ids are lowercase letters, digits and '-', up to 63 characters`);
  return name;
}

export function checkWorkflowName(name: string): string {
  if (!WORKFLOW_NAME.test(name)) throw badRequest(`invalid workflow name '${name}': use lowercase letters, digits and '-', up to 63 characters`);
  return name;
}

/** For `/:t/workflows/:w/*` (which matches `/:t/workflows/:w` too): every route under one workflow. */
export const requireValidWorkflowName: MiddlewareHandler = async (c, next) => {
  checkWorkflowName(c.req.param("w") ?? "");
  await next();
};
