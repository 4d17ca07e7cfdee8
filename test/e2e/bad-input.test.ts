/**
 * Bad input, one table: every row is a request a careless or hostile client could send, and the
 * 4xx `{ error: { code, message } }` it must get. After the table the gateway still serves, the
 * executor still runs work, and NATS holds nothing the bad requests wrote: every KV bucket has the
 * keys it had and every stream the messages it had.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Buckets, ErrorCode, Streams } from "../../contract/mod.ts";
import { eventually } from "../helpers/eventually.ts";
import { isFinished, startKilnWithKitchenSink, type RawRequest, type TenantClient, type TestKiln } from "../helpers/kiln.ts";

let kiln: TestKiln;
let acme: TenantClient;
let nc: NatsConnection;
const tokens = { acme: "", reader: "", revoked: "", foreign: "", admin: "", unknown: "kiln_000000000000000000000000000000000000000000000000" };
type TokenKind = keyof typeof tokens | "none";

const A = "/v1/tenants/acme";
const W = `${A}/workflows/sink`;
const I = `${W}/instances`;
/** A completed instance, and one held running through the whole table (the 409 row). */
const DONE = "done-1";
const HELD = "held-1";
/** A limit set for acme in setup, so the deploy row can go over it with a small body. */
const SOURCE_LIMIT_BYTES = 64 * 1024;

const long = "a".repeat(300);
const enc = encodeURIComponent;
const bytes = (size: number, fill = "x") => fill.repeat(size);

interface Row {
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

const rows: Row[] = [
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

/**
 * Keys in every KV bucket and messages in every other stream (work, inbox, logs, artifacts). A key
 * is live when the last message on its subject is not a delete or purge marker; read from stream
 * info and last-message gets, without consumers, so counting never races the buckets' own writers.
 */
async function natsContents(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const jsm = await jetstreamManager(nc);
  for await (const stream of jsm.streams.list()) {
    const name = stream.config.name;
    if (!name.startsWith("KV_")) {
      counts[`stream ${name}`] = stream.state.messages;
      continue;
    }
    const info = await jsm.streams.info(name, { subjects_filter: ">" });
    let keys = 0;
    for (const subject of Object.keys(info.state.subjects ?? {})) {
      const last = await jsm.streams.getMessage(name, { last_by_subj: subject });
      const operation = last?.header?.get("KV-Operation") ?? "";
      if (last && operation !== "DEL" && operation !== "PURGE") keys++;
    }
    counts[`kv ${name.slice(3)}`] = keys;
  }
  return counts;
}

/** Contents once background writes (token `lastUsedAt`, log lines) have settled: two equal reads in a row. */
async function settledContents(): Promise<Record<string, number>> {
  let last = await natsContents();
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const next = await natsContents();
    if (JSON.stringify(next) === JSON.stringify(last)) return next;
    last = next;
  }
  return last;
}

let before: Record<string, number>;

beforeAll(async () => {
  ({ kiln, acme } = await startKilnWithKitchenSink({ executors: 1 }));
  nc = await kiln.nats.connect();
  tokens.acme = acme.token;
  tokens.admin = kiln.adminToken;
  tokens.foreign = (await kiln.tenant("globex")).token;
  const mint = async (name: string, scopes: string[]) => (await acme.api("POST", `${A}/tokens`, { name, scopes })).body.token as string;
  tokens.reader = await mint("reader", ["read"]);
  tokens.revoked = await mint("gone", ["read", "run"]);
  expect((await acme.api("DELETE", `${A}/tokens/gone`)).status).toBe(204);
  // Long CPU budget for the held step, and a small source limit for the 413 row.
  const settings = await kiln.adminApi("PUT", `${A}/settings`, { limits: { stepCpuMs: 300_000, sourceBytes: SOURCE_LIMIT_BYTES } });
  expect(settings.status).toBe(200);
  await acme.create("sink", { id: DONE, params: { scenario: "steps", count: 1 } });
  await acme.waitFor("sink", DONE, isFinished);
  await acme.create("sink", { id: HELD, params: { scenario: "steps", count: 1, spinMs: 240_000 } });
  await acme.waitFor("sink", HELD, (view) => view.status === "running");
  // Every token in the table has been used once, so their `lastUsedAt` keys exist before the count.
  for (const token of [tokens.reader, tokens.foreign]) expect((await kiln.api(token)("GET", "/v1/tenants/x/workflows")).status).toBe(404);
  before = await settledContents();
  expect(Object.keys(before)).toEqual(
    expect.arrayContaining([
      ...Object.values(Buckets)
        .filter((b) => b !== Buckets.artifacts)
        .map((b) => `kv ${b}`),
      ...Object.values(Streams).map((s) => `stream ${s}`),
    ]),
  );
}, 300_000);

afterAll(async () => {
  await nc?.close();
  await kiln?.close();
});

describe("bad input", () => {
  it(`has a table of at least 40 requests (${rows.length})`, () => {
    expect(rows.length).toBeGreaterThanOrEqual(40);
  });

  it.each(rows.map((row) => [row.name, row] as const))("%s", async (_, row) => {
    const request: RawRequest = {
      method: row.method,
      path: row.path,
      token: row.token === "none" ? undefined : tokens[row.token ?? "acme"],
      body: row.body,
      ...(row.headers ? { headers: row.headers } : {}),
    };
    const answer = await kiln.send(request);
    const shown = `${row.method} ${row.path.slice(0, 120)} → ${answer.status} ${JSON.stringify(answer.body)?.slice(0, 300)}`;
    expect(answer.status, shown).toBe(row.status);
    expect(answer.body, shown).toEqual({ error: expect.objectContaining({ code: row.code, message: expect.any(String) }) });
    if (row.says !== undefined) expect(answer.body.error.message, shown).toMatch(row.says);
    if (row.allow !== undefined) expect(answer.headers.get("allow"), shown).toBe(row.allow);
  });

  it("changed nothing in NATS", async () => {
    expect(await settledContents()).toEqual(before);
  });

  it("leaves a gateway that serves and an executor that runs work", async () => {
    expect((await acme.api("GET", W)).status).toBe(200);
    const { id } = await acme.create("sink", { params: { scenario: "steps", count: 2 } });
    expect(await acme.waitFor("sink", id, isFinished)).toMatchObject({ status: "complete", output: { sum: 6 } });
    expect((await acme.api("DELETE", `${I}/${HELD}?force=1`)).status).toBe(204);
    await eventually("the held instance is gone", async () => (await acme.api("GET", `${I}/${HELD}`)).status === 404);
  });
});
