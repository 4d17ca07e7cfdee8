/**
 * Bad input, one table: every row is a request a careless or hostile client could send, and the
 * 4xx `{ error: { code, message } }` it must get. After the table the gateway still serves, the
 * executor still runs work, and NATS holds nothing the bad requests wrote: every KV bucket has the
 * keys it had and every stream the messages it had.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Buckets, Streams } from "../../contract/mod.ts";
import { eventually } from "../helpers/eventually.ts";
import { isFinished, startKilnWithKitchenSink, type RawRequest, type TenantClient, type TestKiln } from "../helpers/kiln.ts";
import { A, DONE, HELD, I, rows, SOURCE_LIMIT_BYTES, W, type TokenKind } from "./bad-input-table.ts";

let kiln: TestKiln;
let acme: TenantClient;
let nc: NatsConnection;
const tokens: Record<Exclude<TokenKind, "none">, string> = {
  acme: "",
  reader: "",
  revoked: "",
  foreign: "",
  admin: "",
  unknown: "kiln_000000000000000000000000000000000000000000000000",
};

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
