/** The client against a fake `fetch`: how answers become values, and errors keep the API's code. */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createKilnClient, isKilnApiError, isKilnCompileError, KilnApiError, KilnCompileError, KilnInstanceError, KilnTimeoutError } from "../../client/mod.ts";

interface Sent {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | Uint8Array | undefined;
}

/** A fetch that records each request and answers with `answer(request)`. */
function fakeFetch(answer: (request: Sent) => Response) {
  const sent: Sent[] = [];
  // The client always passes the URL as a string.
  const fetch = (input: string, init: RequestInit = {}) => {
    const request: Sent = {
      url: input,
      method: init.method ?? "GET",
      headers: init.headers as Record<string, string>,
      body: init.body as string | Uint8Array | undefined,
    };
    sent.push(request);
    return Promise.resolve(answer(request));
  };
  return { sent, fetch: fetch as typeof globalThis.fetch };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

const sse = (events: Array<{ event: string; data: unknown }>) =>
  new Response(events.map(({ event, data }) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`).join(""), {
    headers: { "content-type": "text/event-stream" },
  });

const client = (fetch: typeof globalThis.fetch) => createKilnClient({ url: "http://kiln.test/", token: "tok", tenant: "acme", fetch });

describe("kiln client", () => {
  it("sends the token, the tenant's path and a typed body, and answers the parsed body", async () => {
    const { sent, fetch } = fakeFetch(() => json(201, { id: "a1", version: "v1" }));
    const handle = await client(fetch)
      .workflow("wf")
      .create({ id: "a1", params: { n: 1 } });
    expect(handle).toMatchObject({ id: "a1", version: "v1", workflow: "wf" });
    expect(sent[0]).toMatchObject({ url: "http://kiln.test/v1/tenants/acme/workflows/wf/instances", method: "POST", body: '{"id":"a1","params":{"n":1}}' });
    expect(sent[0]!.headers).toMatchObject({ authorization: "Bearer tok", "content-type": "application/json" });
  });

  it("deploys text as TypeScript, files as JSON and bytes as a component", async () => {
    const { sent, fetch } = fakeFetch(() => json(201, { version: "v1", capabilities: ["logging"] }));
    const kiln = client(fetch);
    expect(await kiln.workflows.deploy("wf", "export default 1")).toEqual({ version: "v1", capabilities: ["logging"] });
    await kiln.workflows.deploy("wf", { files: { "a.ts": "x" }, entry: "a.ts" });
    await kiln.workflows.deploy("wf", new Uint8Array([0, 97, 115, 109]));
    expect(sent.map((request) => request.headers["content-type"])).toEqual(["application/typescript", "application/json", "application/wasm"]);
  });

  it("turns an error answer into KilnApiError with the API's status, code and message", async () => {
    const { fetch } = fakeFetch(() => json(409, { error: { code: "conflict", message: "instance 'a1' exists" } }));
    const error = await client(fetch)
      .workflow("wf")
      .create({ id: "a1" })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KilnApiError);
    expect(isKilnApiError(error)).toBe(true);
    expect(error).toMatchObject({ name: "KilnApiError", status: 409, code: "conflict", message: "instance 'a1' exists" });
  });

  it("carries retryAfterMs from the body, or from Retry-After when the body has none", async () => {
    const fromBody = fakeFetch(() => json(429, { error: { code: "create_rate_exceeded", message: "slow down", retryAfterMs: 250 } }, { "retry-after": "1" }));
    await expect(client(fromBody.fetch).workflow("wf").create()).rejects.toMatchObject({ status: 429, code: "create_rate_exceeded", retryAfterMs: 250 });
    const fromHeader = fakeFetch(() => json(503, { error: { code: "unavailable", message: "NATS" } }, { "retry-after": "2" }));
    await expect(client(fromHeader.fetch).workflows.list()).rejects.toMatchObject({ status: 503, code: "unavailable", retryAfterMs: 2000 });
  });

  it("keeps an error's other fields as details", async () => {
    const { fetch } = fakeFetch(() => json(413, { error: { code: "payload_too_large", message: "too big", limitBytes: 10 } }));
    await expect(client(fetch).workflows.deploy("wf", "x")).rejects.toMatchObject({ code: "payload_too_large", details: { limitBytes: 10 } });
  });

  it("gives a compile failure as KilnCompileError with every diagnostic", async () => {
    const errors = [{ file: "index.ts", line: 3, column: 7, message: "Expected ';'" }];
    const { fetch } = fakeFetch(() => json(422, { error: { code: "compile_failed", message: "index.ts:3:7: Expected ';'" }, errors }));
    const error = await client(fetch)
      .workflows.deploy("wf", "bad")
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KilnCompileError);
    expect(isKilnCompileError(error) && isKilnApiError(error)).toBe(true);
    expect(error).toMatchObject({ status: 422, code: "compile_failed", diagnostics: errors });
  });

  it("maps an answer that is not the API's (a proxy's page) to a code from its status", async () => {
    const { fetch } = fakeFetch(() => new Response("<html>bad gateway</html>", { status: 502 }));
    await expect(client(fetch).workflows.get("wf")).rejects.toMatchObject({
      status: 502,
      code: "unavailable",
      message: expect.stringContaining("bad gateway"),
    });
  });

  it("asks for the tenant when none was given", () => {
    const kiln = createKilnClient({ url: "http://kiln.test", token: "t", fetch: fakeFetch(() => json(200, {})).fetch });
    expect(() => kiln.workflow("wf").instance("a").status()).toThrow(/tenant/);
  });

  it("result() resolves with the output once the stream says complete", async () => {
    const { sent, fetch } = fakeFetch(() =>
      sse([
        { event: "status", data: { id: "a1", status: "running" } },
        { event: "status", data: { id: "a1", status: "complete", output: { ok: true } } },
      ]),
    );
    expect(await client(fetch).workflow("wf").instance("a1").result()).toEqual({ ok: true });
    expect(sent[0]!.url).toBe("http://kiln.test/v1/tenants/acme/workflows/wf/instances/a1/stream");
  });

  it("result() rejects with the instance's error when it errored", async () => {
    const error = { name: "Error", message: "card declined" };
    const { fetch } = fakeFetch(() => sse([{ event: "status", data: { id: "a1", status: "errored", error } }]));
    const caught = await client(fetch)
      .workflow("wf")
      .instance("a1")
      .result()
      .catch((e: unknown) => e);
    expect(caught).toBeInstanceOf(KilnInstanceError);
    expect(caught).toMatchObject({ code: "instance_failed", status: "errored", error });
  });

  it("result() reconnects when the stream drops before the end", async () => {
    let calls = 0;
    const { fetch } = fakeFetch(() =>
      ++calls === 1
        ? sse([{ event: "status", data: { id: "a1", status: "running" } }])
        : sse([{ event: "status", data: { id: "a1", status: "complete", output: 7 } }]),
    );
    expect(await client(fetch).workflow("wf").instance("a1").result()).toBe(7);
    expect(calls).toBe(2);
  });

  it("result({ timeoutMs }) gives up with KilnTimeoutError", async () => {
    // A stream that says "running" and then stays open until the request is aborted.
    const fetch = ((_: unknown, init: RequestInit) =>
      Promise.resolve(
        new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(new TextEncoder().encode(`event: status\ndata: {"id":"a1","status":"running"}\n\n`));
              init.signal?.addEventListener("abort", () => controller.error(new DOMException("aborted", "AbortError")));
            },
          }),
        ),
      )) as typeof globalThis.fetch;
    const caught = await client(fetch)
      .workflow("wf")
      .instance("a1")
      .result({ timeoutMs: 50 })
      .catch((e: unknown) => e);
    expect(caught).toBeInstanceOf(KilnTimeoutError);
    expect(caught).toMatchObject({ code: "timeout", status: "running" });
  });

  it("logs() yields stored lines, and follows the SSE stream with follow", async () => {
    const line = { ts: 1, level: "info", message: "hi", source: "tenant" };
    const stored = fakeFetch(() => json(200, { lines: [line] }));
    const lines = [];
    for await (const got of client(stored.fetch).workflow("wf").instance("a1").logs()) lines.push(got);
    expect(lines).toEqual([line]);

    const followed = fakeFetch(() => sse([{ event: "log", data: line }]));
    const live = [];
    for await (const got of client(followed.fetch).workflow("wf").instance("a1").logs({ follow: true })) live.push(got);
    expect(live).toEqual([line]);
    expect(followed.sent[0]!.url).toBe("http://kiln.test/v1/tenants/acme/workflows/wf/instances/a1/logs?follow=1");
  });

  it("lists with the filters as a query, times as ISO", async () => {
    const { sent, fetch } = fakeFetch(() => json(200, { instances: [] }));
    await client(fetch)
      .workflow("wf")
      .list({ status: "complete", createdAfter: new Date(0), limit: 5 });
    expect(sent[0]!.url).toBe("http://kiln.test/v1/tenants/acme/workflows/wf/instances?status=complete&limit=5&createdAfter=1970-01-01T00%3A00%3A00.000Z");
  });
});

describe("kiln client portability", () => {
  it("bundles for a browser from client/ and the contract alone, with nothing from Node", async () => {
    // esbuild's browser platform cannot resolve `node:` modules: a Node import anywhere fails the build.
    const { build } = await import("esbuild");
    const result = await build({
      entryPoints: [fileURLToPath(new URL("../../client/mod.ts", import.meta.url))],
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.every((input) => /(^|\/)(client|contract)\/[^/]+\.ts$/.test(input))).toBe(true);
  });
});
