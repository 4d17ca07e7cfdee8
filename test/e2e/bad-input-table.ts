/**
 * The rows of test/e2e/bad-input.test.ts: each a bad request and the answer it must get. The paths
 * name what the test sets up first: tenant acme with the kitchen-sink workflow as `sink`, a finished
 * instance `DONE`, an instance `HELD` running through the whole table, and tokens of each kind.
 */
import { ErrorCode } from "../../contract/mod.ts";

/** Which token a row sends: acme's all-scopes one, a read-only one, a revoked one, another tenant's… */
export type TokenKind = "acme" | "reader" | "revoked" | "foreign" | "admin" | "unknown" | "none";

export const A = "/v1/tenants/acme";
export const W = `${A}/workflows/sink`;
export const I = `${W}/instances`;
/** A completed instance, and one held running through the whole table (the 409 row). */
export const DONE = "done-1";
export const HELD = "held-1";
/** A limit set for acme in setup, so the deploy row can go over it with a small body. */
export const SOURCE_LIMIT_BYTES = 64 * 1024;

const long = "a".repeat(300);
const enc = encodeURIComponent;
const bytes = (size: number, fill = "x") => fill.repeat(size);

export interface Row {
  /** What is wrong with the request. */
  name: string;
  method: string;
  path: string;
  /** @default "acme" (the tenant's all-scopes token) */
  token?: TokenKind;
  body?: unknown;
  headers?: Record<string, string>;
  status: number;
  code: string;
  /** Something the message must say, so the client knows what to do. */
  says?: string | RegExp;
  /** The `Allow` header a 405 must carry. */
  allow?: string;
}

export const rows: Row[] = [
  // Tokens: missing, malformed, unknown, revoked, another tenant's, outside their scope.
  { name: "no token", method: "GET", path: W, token: "none", status: 401, code: ErrorCode.unauthorized, says: "Authorization: Bearer" },
  {
    name: "not a bearer token",
    method: "GET",
    path: W,
    token: "none",
    headers: { authorization: "Basic YWRtaW46YWRtaW4=" },
    status: 401,
    code: ErrorCode.unauthorized,
  },
  {
    name: "an 8 KiB token",
    method: "GET",
    path: W,
    token: "none",
    headers: { authorization: `Bearer ${bytes(8_192)}` },
    status: 401,
    code: ErrorCode.unauthorized,
  },
  { name: "unknown token", method: "GET", path: W, token: "unknown", status: 401, code: ErrorCode.unauthorized, says: "unknown or revoked" },
  { name: "revoked token", method: "GET", path: W, token: "revoked", status: 401, code: ErrorCode.unauthorized, says: "unknown or revoked" },
  { name: "another tenant's token reads", method: "GET", path: `${I}/${DONE}`, token: "foreign", status: 404, code: ErrorCode.notFound },
  { name: "another tenant's token creates", method: "POST", path: I, token: "foreign", body: {}, status: 404, code: ErrorCode.notFound },
  { name: "read token creates", method: "POST", path: I, token: "reader", body: {}, status: 403, code: ErrorCode.forbidden, says: "'run'" },
  {
    name: "read token sets a secret",
    method: "PUT",
    path: `${A}/secrets/KEY`,
    token: "reader",
    body: "v",
    status: 403,
    code: ErrorCode.forbidden,
    says: "'deploy'",
  },
  {
    name: "read token mints a token",
    method: "POST",
    path: `${A}/tokens`,
    token: "reader",
    body: { name: "x", scopes: ["run"] },
    status: 403,
    code: ErrorCode.forbidden,
    says: "'admin'",
  },
  {
    name: "tenant token changes its settings",
    method: "PUT",
    path: `${A}/settings`,
    body: { limits: { concurrency: 1 } },
    status: 404,
    code: ErrorCode.notFound,
  },

  // Routes and methods.
  { name: "unknown route", method: "GET", path: "/v1/nothing", status: 404, code: ErrorCode.notFound, says: "GET /v1/nothing" },
  { name: "unknown route outside /v1", method: "GET", path: "/nothing", token: "none", status: 404, code: ErrorCode.notFound },
  { name: "unknown instance action", method: "POST", path: `${I}/${DONE}/explode`, status: 404, code: ErrorCode.notFound },
  { name: "PATCH an instance", method: "PATCH", path: `${I}/${DONE}`, status: 405, code: ErrorCode.methodNotAllowed, allow: "GET, DELETE" },
  { name: "PUT the instance list", method: "PUT", path: I, body: {}, status: 405, code: ErrorCode.methodNotAllowed, allow: "GET, POST" },
  { name: "DELETE the workflow list", method: "DELETE", path: `${A}/workflows`, status: 405, code: ErrorCode.methodNotAllowed, allow: "GET" },
  { name: "GET the tenant list", method: "GET", path: "/v1/tenants", status: 405, code: ErrorCode.methodNotAllowed, allow: "POST" },
  { name: "POST /healthz", method: "POST", path: "/healthz", token: "none", status: 405, code: ErrorCode.methodNotAllowed, allow: "GET" },
  { name: "POST /readyz", method: "POST", path: "/readyz", token: "none", status: 405, code: ErrorCode.methodNotAllowed, allow: "GET" },

  // Bodies that are not JSON, or not declared as JSON.
  { name: "malformed JSON", method: "POST", path: I, body: '{"id": "x",', status: 400, code: ErrorCode.badRequest, says: "not valid JSON" },
  { name: "JSON that is not an object", method: "POST", path: I, body: [], status: 400, code: ErrorCode.badRequest },
  {
    name: "create body as text/plain",
    method: "POST",
    path: I,
    body: "{}",
    headers: { "content-type": "text/plain" },
    status: 415,
    code: ErrorCode.unsupportedMediaType,
    says: "application/json",
  },
  {
    name: "create body without a content type",
    method: "POST",
    path: I,
    body: new TextEncoder().encode("{}"),
    status: 415,
    code: ErrorCode.unsupportedMediaType,
    says: "application/json",
  },
  {
    name: "token request as form data",
    method: "POST",
    path: `${A}/tokens`,
    body: "name=x&scopes=read",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    status: 415,
    code: ErrorCode.unsupportedMediaType,
  },
  {
    name: "malformed JSON token request",
    method: "POST",
    path: `${A}/tokens`,
    body: "{name: x}",
    status: 400,
    code: ErrorCode.badRequest,
    says: "not valid JSON",
  },
  {
    name: "deploy as image/png",
    method: "PUT",
    path: W,
    body: "export {}",
    headers: { "content-type": "image/png" },
    status: 415,
    code: ErrorCode.unsupportedMediaType,
    says: "application/typescript",
  },
  {
    name: "deploy without a content type",
    method: "PUT",
    path: W,
    body: new TextEncoder().encode("export {}"),
    status: 415,
    code: ErrorCode.unsupportedMediaType,
  },

  // Names that cannot be NATS subject tokens or KV keys: refused before they reach NATS.
  {
    name: "tenant id with a dot",
    method: "POST",
    path: "/v1/tenants",
    token: "admin",
    body: { id: "a.b" },
    status: 400,
    code: ErrorCode.badRequest,
    says: "tenant ids",
  },
  { name: "tenant id of 300 characters", method: "POST", path: "/v1/tenants", token: "admin", body: { id: long }, status: 400, code: ErrorCode.badRequest },
  { name: "tenant id in unicode", method: "POST", path: "/v1/tenants", token: "admin", body: { id: "café" }, status: 400, code: ErrorCode.badRequest },
  { name: "tenant path with a dot", method: "GET", path: "/v1/tenants/a.b/workflows", token: "admin", status: 400, code: ErrorCode.badRequest, says: "tenant" },
  { name: "tenant path with a space", method: "GET", path: `/v1/tenants/${enc("a b")}/settings`, token: "admin", status: 400, code: ErrorCode.badRequest },
  { name: "tenant path '>'", method: "GET", path: `/v1/tenants/${enc(">")}/workflows`, token: "admin", status: 400, code: ErrorCode.badRequest },
  { name: "tenant path '*'", method: "PUT", path: `/v1/tenants/${enc("*")}/secrets/KEY`, token: "admin", body: "v", status: 400, code: ErrorCode.badRequest },
  {
    name: "workflow name with a dot",
    method: "PUT",
    path: `${A}/workflows/a.b`,
    body: "export {}",
    headers: { "content-type": "application/typescript" },
    status: 400,
    code: ErrorCode.badRequest,
    says: "workflow name",
  },
  { name: "workflow name '*'", method: "POST", path: `${A}/workflows/${enc("*")}/instances`, body: {}, status: 400, code: ErrorCode.badRequest },
  { name: "workflow name of 300 characters", method: "GET", path: `${A}/workflows/${long}`, status: 400, code: ErrorCode.badRequest },
  {
    name: "workflow name '>' in an event",
    method: "POST",
    path: `${A}/workflows/${enc(">")}/instances/${DONE}/events/approved`,
    body: {},
    status: 400,
    code: ErrorCode.badRequest,
  },
  { name: "instance id with a dot", method: "POST", path: I, body: { id: "a.b" }, status: 400, code: ErrorCode.badRequest, says: "instance ids" },
  { name: "instance id with a space", method: "POST", path: I, body: { id: "a b" }, status: 400, code: ErrorCode.badRequest },
  { name: "instance id '>'", method: "GET", path: `${I}/${enc(">")}`, status: 400, code: ErrorCode.badRequest },
  { name: "instance id '*'", method: "POST", path: `${I}/${enc("*")}/pause`, status: 400, code: ErrorCode.badRequest },
  { name: "instance id in unicode", method: "GET", path: `${I}/${enc("ünï")}`, status: 400, code: ErrorCode.badRequest },
  { name: "instance id of 300 characters", method: "DELETE", path: `${I}/${long}`, status: 400, code: ErrorCode.badRequest },
  { name: "instance id with broken percent-encoding", method: "GET", path: `${I}/%E0%A4%A`, status: 400, code: ErrorCode.badRequest },
  { name: "event type with a NUL", method: "POST", path: `${I}/${DONE}/events/a%00b`, body: {}, status: 400, code: ErrorCode.badRequest },
  { name: "event type with a dot", method: "POST", path: `${I}/${DONE}/events/a.b`, body: {}, status: 400, code: ErrorCode.badRequest, says: "event type" },
  { name: "event type '*'", method: "POST", path: `${I}/${DONE}/events/${enc("*")}`, body: {}, status: 400, code: ErrorCode.badRequest },
  { name: "event type in unicode", method: "POST", path: `${I}/${DONE}/events/${enc("☃")}`, body: {}, status: 400, code: ErrorCode.badRequest },
  { name: "secret name with a dot", method: "PUT", path: `${A}/secrets/a.b`, body: "v", status: 400, code: ErrorCode.badRequest, says: "secret name" },
  { name: "secret name of 300 characters", method: "DELETE", path: `${A}/secrets/${long}`, status: 400, code: ErrorCode.badRequest },
  {
    name: "token name with a space",
    method: "POST",
    path: `${A}/tokens`,
    body: { name: "my token", scopes: ["read"] },
    status: 400,
    code: ErrorCode.badRequest,
  },
  { name: "token name in unicode", method: "DELETE", path: `${A}/tokens/${enc("jöb")}`, status: 400, code: ErrorCode.badRequest, says: "token name" },
  { name: "step name of 300 characters", method: "GET", path: `${I}/${DONE}/steps/${long}/1`, status: 400, code: ErrorCode.badRequest },
  { name: "step count 0", method: "GET", path: `${I}/${DONE}/steps/step%201/0`, status: 400, code: ErrorCode.badRequest },

  // Oversized bodies: 413, naming the limit.
  {
    name: "create body over 1 MiB",
    method: "POST",
    path: I,
    body: { params: bytes(1_100_000) },
    status: 413,
    code: ErrorCode.payloadTooLarge,
    says: "1048576 bytes",
  },
  {
    name: "event payload over 1 MiB",
    method: "POST",
    path: `${I}/${DONE}/events/approved`,
    body: bytes(1_100_000),
    headers: { "content-type": "text/plain" },
    status: 413,
    code: ErrorCode.payloadTooLarge,
    says: "1048576 bytes",
  },
  {
    name: "secret over 64 KiB",
    method: "PUT",
    path: `${A}/secrets/BIG`,
    body: bytes(70_000),
    headers: { "content-type": "text/plain" },
    status: 413,
    code: ErrorCode.payloadTooLarge,
    says: "65536 bytes",
  },
  {
    name: "batch over 1 MiB",
    method: "POST",
    path: `${I}/batch`,
    body: [{ params: bytes(1_100_000) }],
    status: 413,
    code: ErrorCode.payloadTooLarge,
    says: "1048576 bytes",
  },
  {
    name: "source over limits.sourceBytes",
    method: "PUT",
    path: W,
    body: `// ${bytes(SOURCE_LIMIT_BYTES)}`,
    headers: { "content-type": "application/typescript" },
    status: 413,
    code: ErrorCode.payloadTooLarge,
    says: `${SOURCE_LIMIT_BYTES} bytes`,
  },

  {
    name: "settings over 64 KiB",
    method: "PUT",
    path: `${A}/settings`,
    token: "admin",
    body: { env: { vars: { BIG: bytes(70_000) } } },
    status: 413,
    code: ErrorCode.payloadTooLarge,
    says: "65536 bytes",
  },
  {
    name: "token request over 4 KiB",
    method: "POST",
    path: `${A}/tokens`,
    body: { name: "big", scopes: Array.from({ length: 1_000 }, () => "read") },
    status: 413,
    code: ErrorCode.payloadTooLarge,
    says: "4096 bytes",
  },

  // Instances that are not there, batches and bodies that cannot be.
  {
    name: "event for an unknown instance",
    method: "POST",
    path: `${I}/nobody/events/approved`,
    body: {},
    status: 404,
    code: ErrorCode.notFound,
    says: "nobody",
  },
  {
    name: "create in an unknown workflow",
    method: "POST",
    path: `${A}/workflows/nope/instances`,
    body: {},
    status: 404,
    code: ErrorCode.notFound,
    says: "nope",
  },
  {
    name: "duplicate ids inside one batch",
    method: "POST",
    path: `${I}/batch`,
    body: [{ id: "twin" }, { id: "twin" }],
    status: 400,
    code: ErrorCode.badRequest,
    says: "twice",
  },
  { name: "empty batch", method: "POST", path: `${I}/batch`, body: [], status: 400, code: ErrorCode.badRequest },
  {
    name: "batch of 101",
    method: "POST",
    path: `${I}/batch`,
    body: Array.from({ length: 101 }, () => ({})),
    status: 400,
    code: ErrorCode.badRequest,
    says: "100",
  },
  {
    name: "retention that is not a duration",
    method: "POST",
    path: I,
    body: { retention: { successRetention: "soon" } },
    status: 400,
    code: ErrorCode.badRequest,
    says: "soon",
  },
  {
    name: "retention over 30 days",
    method: "POST",
    path: I,
    body: { retention: { errorRetention: "31 days" } },
    status: 400,
    code: ErrorCode.badRequest,
    says: "30 days",
  },
  { name: "negative retention", method: "POST", path: I, body: { retention: { successRetention: -5 } }, status: 400, code: ErrorCode.badRequest },
  { name: "unknown retention field", method: "POST", path: I, body: { retention: { keep: "1 day" } }, status: 400, code: ErrorCode.badRequest, says: "keep" },
  {
    name: "restart from count 0",
    method: "POST",
    path: `${I}/${HELD}/restart`,
    body: { from: { name: "step 1", count: 0 } },
    status: 400,
    code: ErrorCode.badRequest,
  },
  {
    name: "restart from without a name",
    method: "POST",
    path: `${I}/${HELD}/restart`,
    body: { from: { count: 1 } },
    status: 400,
    code: ErrorCode.badRequest,
    says: "name",
  },
  {
    name: "restart from a 300-character step",
    method: "POST",
    path: `${I}/${HELD}/restart`,
    body: { from: { name: long, count: 1 } },
    status: 400,
    code: ErrorCode.badRequest,
  },
  { name: "restart from a string", method: "POST", path: `${I}/${HELD}/restart`, body: { from: "step 1" }, status: 400, code: ErrorCode.badRequest },
  { name: "delete a running instance without force", method: "DELETE", path: `${I}/${HELD}`, status: 409, code: ErrorCode.conflict, says: "?force=1" },
  { name: "delete with force=yes", method: "DELETE", path: `${I}/${HELD}?force=yes`, status: 400, code: ErrorCode.badRequest },

  // List filters.
  { name: "unknown status filter", method: "GET", path: `${I}?status=done`, status: 400, code: ErrorCode.badRequest, says: "complete" },
  { name: "limit 0", method: "GET", path: `${I}?limit=0`, status: 400, code: ErrorCode.badRequest, says: "1 to 1000" },
  { name: "limit not a number", method: "GET", path: `${I}?limit=ten`, status: 400, code: ErrorCode.badRequest },
  { name: "limit over 1000", method: "GET", path: `${I}?limit=5000`, status: 400, code: ErrorCode.badRequest },
  { name: "forged cursor", method: "GET", path: `${I}?cursor=${enc("../../etc")}`, status: 400, code: ErrorCode.badRequest },
  { name: "createdAfter that is not a time", method: "GET", path: `${I}?createdAfter=yesterday`, status: 400, code: ErrorCode.badRequest, says: "ISO 8601" },

  // Settings (the platform admin's).
  {
    name: "settings with an unknown field",
    method: "PUT",
    path: `${A}/settings`,
    token: "admin",
    body: { turbo: true },
    status: 400,
    code: ErrorCode.badRequest,
    says: "turbo",
  },
  {
    name: "settings with a negative concurrency",
    method: "PUT",
    path: `${A}/settings`,
    token: "admin",
    body: { limits: { concurrency: -1 } },
    status: 400,
    code: ErrorCode.badRequest,
    says: "concurrency",
  },
  {
    name: "settings with a URL in the allow-list",
    method: "PUT",
    path: `${A}/settings`,
    token: "admin",
    body: { egress: { allow: ["https://x.com/"] } },
    status: 400,
    code: ErrorCode.badRequest,
  },
  {
    name: "settings with a retention of 'forever'",
    method: "PUT",
    path: `${A}/settings`,
    token: "admin",
    body: { retention: { successRetention: "forever" } },
    status: 400,
    code: ErrorCode.badRequest,
  },
  {
    name: "settings as text/plain",
    method: "PUT",
    path: `${A}/settings`,
    token: "admin",
    body: "{}",
    headers: { "content-type": "text/plain" },
    status: 415,
    code: ErrorCode.unsupportedMediaType,
  },
  {
    name: "settings of an unknown tenant",
    method: "PUT",
    path: "/v1/tenants/nobody/settings",
    token: "admin",
    body: {},
    status: 404,
    code: ErrorCode.notFound,
  },
];
