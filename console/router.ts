/**
 * The console's pages as `#/…` addresses, so the gateway serves one page and a link or a reload
 * lands where it pointed. Pure functions: parse an address, write one.
 *
 *   #/workflows                                  the workflows, with versions and capabilities
 *   #/workflows/<w>?status=&id=&after=&before=   that workflow's instances
 *   #/workflows/<w>/instances/<id>               one instance
 */
import { INSTANCE_STATUSES, type InstanceStatus } from "../contract/instance.ts";

/** What the instances page shows: by status, by creation time (`datetime-local` values), or one id. */
export interface InstanceFilter {
  status?: InstanceStatus;
  id?: string;
  createdAfter?: string;
  createdBefore?: string;
}

export type Route =
  { page: "workflows" } | { page: "instances"; workflow: string; filter: InstanceFilter } | { page: "instance"; workflow: string; id: string };

const FILTER_PARAMS = { status: "status", id: "id", createdAfter: "after", createdBefore: "before" } as const;

function parseFilter(query: string): InstanceFilter {
  const params = new URLSearchParams(query);
  const filter: InstanceFilter = {};
  const status = params.get(FILTER_PARAMS.status);
  if (status !== null && (INSTANCE_STATUSES as readonly string[]).includes(status)) filter.status = status as InstanceStatus;
  for (const field of ["id", "createdAfter", "createdBefore"] as const) {
    const value = params.get(FILTER_PARAMS[field])?.trim();
    if (value) filter[field] = value;
  }
  return filter;
}

const decode = (segment: string): string => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

/** The route of `location.hash`; anything unknown is the workflows page. */
export function parseRoute(hash: string): Route {
  const [path = "", query = ""] = hash.replace(/^#/, "").split("?", 2);
  const parts = path.split("/").filter(Boolean).map(decode);
  if (parts[0] === "workflows" && parts[1] !== undefined) {
    if (parts.length === 2) return { page: "instances", workflow: parts[1], filter: parseFilter(query) };
    if (parts[2] === "instances" && parts[3] !== undefined && parts.length === 4) return { page: "instance", workflow: parts[1], id: parts[3] };
  }
  return { page: "workflows" };
}

/** The `#/…` address of `route`. */
export function routeHref(route: Route): string {
  const seg = encodeURIComponent;
  switch (route.page) {
    case "workflows":
      return "#/workflows";
    case "instances": {
      const params = new URLSearchParams();
      for (const field of ["status", "id", "createdAfter", "createdBefore"] as const) {
        const value = route.filter[field];
        if (value) params.set(FILTER_PARAMS[field], value);
      }
      const query = params.toString();
      return `#/workflows/${seg(route.workflow)}${query ? `?${query}` : ""}`;
    }
    case "instance":
      return `#/workflows/${seg(route.workflow)}/instances/${seg(route.id)}`;
  }
}
