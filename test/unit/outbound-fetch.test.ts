/**
 * Outbound fetch against a real HTTP server on 127.0.0.1: the egress policy at the URL, at every
 * redirect hop and at connect time (a resolver the test controls stands in for a DNS answer that
 * rebinds to loopback), and the bounds.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchOutbound, type OutboundOptions, type OutboundRequest } from "../../executor/egress/outbound-fetch.ts";

let server: Server;
let port: number;
let lastHeaders: Record<string, string | string[] | undefined> = {};
let lastBody = "";

beforeAll(async () => {
  server = createServer((request, response) => {
    lastHeaders = request.headers;
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      lastBody = Buffer.concat(chunks).toString("utf8");
      const path = request.url ?? "/";
      if (path === "/json") return void response.writeHead(200, { "content-type": "application/json" }).end('{"hello":"world"}');
      if (path === "/echo") return void response.writeHead(201, { "content-type": "text/plain" }).end(`${request.method} ${lastBody}`);
      if (path === "/gzip") return void response.writeHead(200, { "content-encoding": "gzip" }).end(gzipSync("compressed hello"));
      if (path === "/big") return void response.writeHead(200).end(Buffer.alloc(64 * 1024, 120));
      if (path === "/slow") return void setTimeout(() => response.end("late"), 2_000);
      if (path.startsWith("/to?")) return void response.writeHead(302, { location: decodeURIComponent(path.slice(4)) }).end();
      if (path === "/see-other") return void response.writeHead(303, { location: "/echo" }).end();
      if (path === "/loop") return void response.writeHead(307, { location: "/loop" }).end();
      response.writeHead(404).end("no");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const local = () => `127.0.0.1:${port}`;
const get = (url: string, options: Partial<OutboundOptions> = {}, request: Partial<OutboundRequest> = {}) =>
  fetchOutbound(
    { method: "GET", url, headers: [], body: undefined, ...request },
    { allow: [local()], responseLimitBytes: 1024 * 1024, timeoutMs: 5_000, ...options },
  );
const errorOf = async (promise: ReturnType<typeof get>) => {
  const result = await promise;
  if (result.ok) throw new Error(`expected a failure, got ${result.head.status}`);
  return result.error;
};

describe("allowed requests", () => {
  it("reaches a listed host:port with the tenant's headers and body", async () => {
    const result = await get(`http://${local()}/echo`, {}, { method: "post", headers: [["X-Secret", "s3cr3t"]], body: new TextEncoder().encode("payload") });
    if (!result.ok) throw new Error(result.error.val);
    expect(result.head).toMatchObject({ status: 201, url: `http://${local()}/echo`, redirected: false });
    expect(new TextDecoder().decode(result.body)).toBe("POST payload");
    expect(lastHeaders["x-secret"]).toBe("s3cr3t");
  });

  it("decodes a gzip body and drops the headers that described the encoded one", async () => {
    const result = await get(`http://${local()}/gzip`);
    if (!result.ok) throw new Error(result.error.val);
    expect(new TextDecoder().decode(result.body)).toBe("compressed hello");
    expect(result.head.headers.map(([name]) => name)).not.toContain("content-encoding");
  });

  it("follows a redirect within the allow-list and turns 303 into GET", async () => {
    const result = await get(`http://${local()}/see-other`, {}, { method: "POST", body: new TextEncoder().encode("x") });
    if (!result.ok) throw new Error(result.error.val);
    expect(new TextDecoder().decode(result.body)).toBe("GET ");
    expect(result.head).toMatchObject({ redirected: true, url: `http://${local()}/echo` });
  });
});

describe("refusals", () => {
  it("refuses an unlisted host, naming it", async () => {
    expect(await errorOf(get("https://api.cloudflare.com/client/v4"))).toEqual({
      tag: "refused",
      val: "fetch to 'api.cloudflare.com' refused: not on this tenant's egress allow-list",
    });
  });

  it("refuses loopback and cloud metadata unless that exact host:port is listed", async () => {
    const error = await errorOf(get(`http://${local()}/json`, { allow: ["127.0.0.1"] }));
    expect(error.tag).toBe("refused");
    expect(error.val).toMatch(/not on this tenant's egress allow-list/);
    const metadata = await errorOf(get("http://169.254.169.254/latest/meta-data/", { allow: ["169.254.169.254"] }));
    expect(metadata.val).toBe(
      "fetch to '169.254.169.254' refused: '169.254.169.254' is a link-local address (cloud metadata lives there); only an exact '169.254.169.254:80' entry on the egress allow-list allows that",
    );
  });

  it("refuses a listed name that resolves to loopback, checked at connect time", async () => {
    let lookups = 0;
    const rebinding = async () => {
      lookups++;
      return [{ address: "127.0.0.1", family: 4 }];
    };
    const error = await errorOf(get(`http://api.rebind.test:${port}/json`, { allow: [`*.rebind.test:${port}`], resolve: rebinding }));
    expect(error).toEqual({
      tag: "refused",
      val: `fetch to 'api.rebind.test:${port}' refused: it resolves to 127.0.0.1, a loopback address; only an exact 'api.rebind.test:${port}' entry on the egress allow-list allows that`,
    });
    expect(lookups).toBe(1);
    // The system resolver too: `localhost` listed without its port is refused at connect time.
    const localhost = await errorOf(get("http://localhost/", { allow: ["localhost"] }));
    expect(localhost.val).toMatch(/^fetch to 'localhost' refused: it resolves to (127\.0\.0\.1|::1), a loopback address/);
  });

  it("re-checks every redirect hop", async () => {
    const error = await errorOf(get(`http://${local()}/to?${encodeURIComponent("http://169.254.169.254/latest/meta-data/")}`));
    expect(error.val).toBe("fetch to '169.254.169.254' refused: not on this tenant's egress allow-list");
    const elsewhere = await errorOf(get(`http://${local()}/to?${encodeURIComponent("https://evil.example/")}`));
    expect(elsewhere.val).toBe("fetch to 'evil.example' refused: not on this tenant's egress allow-list");
  });

  it("gives up after too many redirects", async () => {
    expect((await errorOf(get(`http://${local()}/loop`))).val).toBe(`fetch to '${local()}' failed: more than 10 redirects`);
  });
});

describe("bounds", () => {
  it("stops reading a response over the limit", async () => {
    const error = await errorOf(get(`http://${local()}/big`, { responseLimitBytes: 4096 }));
    expect(error).toEqual({ tag: "too-large", val: `fetch to '${local()}' failed: the response body is larger than 4096 bytes (limits.fetchResponseBytes)` });
  });

  it("refuses a request body over 1 MiB", async () => {
    const error = await errorOf(get(`http://${local()}/echo`, {}, { method: "POST", body: new Uint8Array(1024 * 1024 + 1) }));
    expect(error.tag).toBe("too-large");
  });

  it("times out", async () => {
    expect(await errorOf(get(`http://${local()}/slow`, { timeoutMs: 200 }))).toEqual({ tag: "timeout", val: `fetch to '${local()}' timed out after 200 ms` });
  });

  it("refuses malformed requests", async () => {
    expect((await errorOf(get("not a url"))).tag).toBe("invalid");
    expect((await errorOf(get(`http://${local()}/`, {}, { method: "CONNECT" }))).tag).toBe("invalid");
    expect((await errorOf(get(`http://${local()}/`, {}, { headers: [["x-bad", "a\r\nb: c"]] }))).tag).toBe("invalid");
  });
});

describe("cancellation", () => {
  it("stops a call in flight when the activation ends", async () => {
    const ended = new AbortController();
    setTimeout(() => ended.abort(), 100);
    const started = performance.now();
    const error = await errorOf(get(`http://${local()}/slow`, { signal: ended.signal }));
    expect(error.tag).toBe("timeout");
    expect(performance.now() - started).toBeLessThan(1_500);
  });
});
