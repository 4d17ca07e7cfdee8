/** The tenant, workflow and instance a request path names, for the fields of a log line about it. */
const IDS = /^\/v1\/tenants\/([^/]+)(?:\/workflows\/([^/]+)(?:\/instances\/([^/]+))?)?/;

export function requestIds(path: string): { tenant?: string; workflow?: string; instance?: string } {
  const [, tenant, workflow, instance] = IDS.exec(path) ?? [];
  return {
    ...(tenant === undefined ? {} : { tenant }),
    ...(workflow === undefined ? {} : { workflow }),
    // `batch` and `terminate` are batch routes, not instance ids.
    ...(instance === undefined || instance === "batch" || instance === "terminate" ? {} : { instance }),
  };
}
