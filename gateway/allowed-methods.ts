/**
 * The methods a path answers to, read from the app's registered routes (Hono's `app.routes`), for
 * the `Allow` header of a 405. Deriving them from the routes themselves keeps the header true as
 * routes come and go; a hand-kept list would drift.
 */

/** A registered route as Hono lists it; method `ALL` is `use` middleware, which answers nothing itself. */
export interface RegisteredRoute {
  readonly method: string;
  readonly path: string;
}

/** The order methods are listed in, so the header reads the same on every call. */
const METHOD_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * A Hono route path as a regular expression over a request path: `:name` matches one segment,
 * `:name{a|b}` one segment matching that pattern, `:name?` an optional last segment, and `*` anything
 * (a trailing `/*` also matches the path without it, as in Hono).
 */
export function routePattern(path: string): RegExp {
  let source = "";
  for (const segment of path.split("/").slice(1)) {
    if (segment === "*") {
      source += "(?:/.*)?";
      continue;
    }
    const param = /^:[A-Za-z0-9_]+(?:\{(.+)\})?(\?)?$/.exec(segment);
    if (param) {
      const one = param[1] === undefined ? "[^/]+" : `(?:${param[1]})`;
      source += param[2] === undefined ? `/${one}` : `(?:/${one})?`;
    } else {
      source += `/${escapeRegExp(segment)}`;
    }
  }
  return new RegExp(`^${source || "/"}$`);
}

/** The methods of the routes (not middleware) whose path matches `path`, in a fixed order. */
export function allowedMethods(routes: readonly RegisteredRoute[], path: string): string[] {
  const methods = new Set<string>();
  for (const route of routes) {
    if (route.method !== "ALL" && !methods.has(route.method) && routePattern(route.path).test(path)) methods.add(route.method);
  }
  const rank = (method: string) => (METHOD_ORDER.includes(method) ? METHOD_ORDER.indexOf(method) : METHOD_ORDER.length);
  return [...methods].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}
