/** The gateway's body readers on a bare Hono app: limits, content types, and what each answers. */
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { readBytes, readJson } from "../../gateway/body.ts";
import { HttpError } from "../../gateway/errors.ts";

const LIMIT = 1024;

const app = new Hono();
app.post("/bytes", async (c) => c.json({ length: (await readBytes(c, LIMIT, "the body")).length }));
app.post("/json", async (c) => c.json({ value: await readJson(c, LIMIT, "the body", "fallback") }));
app.onError((error, c) =>
  error instanceof HttpError
    ? c.json({ error: { code: error.code, message: error.message, ...error.details } }, error.status)
    : c.json({ bug: String(error) }, 500),
);

/** A body sent in chunks with no `content-length`, as a chunked upload arrives. */
function chunked(chunks: number, chunkBytes: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent++ === chunks) controller.close();
      else controller.enqueue(new Uint8Array(chunkBytes).fill(120));
    },
  });
}

const post = (path: string, init: RequestInit & { duplex?: "half" }) => app.request(path, { method: "POST", ...init });

describe("readBytes", () => {
  it("reads a chunked body under the limit whole", async () => {
    const answer = await post("/bytes", { body: chunked(4, 256), duplex: "half" });
    expect(await answer.json()).toEqual({ length: 1024 });
  });

  it("stops a chunked body at the limit with a 413 naming it, without reading the rest", async () => {
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({ pull: (controller) => void (pulled++, controller.enqueue(new Uint8Array(512))) });
    const answer = await post("/bytes", { body: endless, duplex: "half" });
    expect(answer.status).toBe(413);
    expect(await answer.json()).toEqual({ error: { code: "payload_too_large", message: expect.stringContaining("1024 bytes"), limitBytes: LIMIT } });
    expect(pulled).toBeLessThan(10);
  });

  it("refuses a declared length over the limit before reading", async () => {
    const answer = await post("/bytes", { body: "x".repeat(LIMIT + 1) });
    expect(answer.status).toBe(413);
  });
});

describe("readJson", () => {
  it("reads JSON sent as application/json or a +json type", async () => {
    for (const type of ["application/json", "application/json; charset=utf-8", "application/merge-patch+json"]) {
      const answer = await post("/json", { body: '{"a":1}', headers: { "content-type": type } });
      expect(await answer.json(), type).toEqual({ value: { a: 1 } });
    }
  });

  it("answers 415 for a body in another type or none, saying which type to send", async () => {
    const types: Record<string, string>[] = [{ "content-type": "text/plain" }, { "content-type": "application/x-www-form-urlencoded" }, {}];
    for (const headers of types) {
      const answer = await post("/json", { body: new TextEncoder().encode('{"a":1}'), headers });
      expect(answer.status, JSON.stringify(headers)).toBe(415);
      expect((await answer.json()).error).toMatchObject({ code: "unsupported_media_type", message: expect.stringContaining("application/json") });
    }
  });

  it("takes an empty body as the fallback whatever its type", async () => {
    expect(await (await post("/json", {})).json()).toEqual({ value: "fallback" });
    expect(await (await post("/json", { body: "", headers: { "content-type": "text/plain" } })).json()).toEqual({ value: "fallback" });
  });

  it("answers 400 for malformed JSON, quoting the parser", async () => {
    const answer = await post("/json", { body: "{nope", headers: { "content-type": "application/json" } });
    expect(answer.status).toBe(400);
    expect((await answer.json()).error.message).toContain("not valid JSON");
  });
});
