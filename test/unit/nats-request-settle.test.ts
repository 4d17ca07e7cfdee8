/**
 * infra/nats-request-settle.ts, against a real nats-server: a completed request builds no
 * `RequestError`, and requests that fail (time out, lose their connection) reject as nats.js does.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { NatsConnection } from "@nats-io/nats-core";
import { requestSettlePatched } from "../../infra/nats-request-settle.ts";
import { startTestNats, type TestNats } from "../helpers/nats.ts";

/** The module object nats.js's request.js reads `RequestError` from at each use (outside the package's exports map). */
const require = createRequire(import.meta.url);
const natsErrors = require(join(dirname(require.resolve("@nats-io/nats-core")), "errors.js")) as { RequestError: new (message?: string) => Error };

let nats: TestNats;
let nc: NatsConnection;

beforeAll(async () => {
  nats = await startTestNats();
  nc = await nats.connect({ noAsyncTraces: true });
  nc.subscribe("echo", { callback: (_, message) => void message.respond(message.data) });
  await nc.flush();
});

afterAll(() => nats.stop());

it("is in place", () => {
  expect(requestSettlePatched).toBe(true);
});

it("builds no RequestError for a completed request", async () => {
  const original = natsErrors.RequestError;
  let built = 0;
  natsErrors.RequestError = class extends original {
    constructor(message?: string) {
      super(message);
      built++;
    }
  };
  try {
    for (let i = 0; i < 50; i++) expect((await nc.request("echo", `ping ${i}`)).string()).toBe(`ping ${i}`);
  } finally {
    natsErrors.RequestError = original;
  }
  expect(built).toBe(0);
});

it("still rejects a request that times out or has no responder", async () => {
  nc.subscribe("silent", { callback: () => undefined });
  await nc.flush();
  await expect(nc.request("silent", "", { timeout: 100 })).rejects.toThrow(/timeout/i);
  await expect(nc.request("nobody.listens", "", { timeout: 1_000 })).rejects.toThrow(/no responders/i);
});

it("still rejects a request pending when its connection closes", async () => {
  const other = await nats.connect();
  const pending = other.request("silent", "", { timeout: 10_000 });
  await other.close();
  await expect(pending).rejects.toThrow();
});
