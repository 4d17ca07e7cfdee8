/**
 * The `http` capability end to end: the Cloudflare starter's fetch-in-a-step, deployed unchanged, on
 * a real nats-server and a real compiled component, calling a real HTTP server this test starts on
 * 127.0.0.1 — and every way the egress policy refuses a call, as the tenant and operators see it.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../helpers/eventually.ts";
import { fixture, isFinished, startKiln, type JsonBody, type TenantClient, type TestKiln } from "../helpers/kiln.ts";

let kiln: TestKiln;
let acme: TenantClient;
let server: Server;
let origin: string;
let deployed: JsonBody;
/** A secret of tenant acme: the fixture sends it as a bearer token. */
const API_TOKEN = "sk_live_kiln_test_3f9a1c";
const seenHeaders: Array<Record<string, string | string[] | undefined>> = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    seenHeaders.push(request.headers);
    const path = request.url ?? "/";
    if (path === "/ips")
      return void response.writeHead(200, { "content-type": "application/json" }).end('{"result":{"ipv4_cidrs":["173.245.48.0/20"]},"success":true}');
    if (path === "/echo") {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const echoed = { method: request.method, contentType: request.headers["content-type"], body: Buffer.concat(chunks).toString("utf8") };
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(echoed));
      });
      return;
    }
    if (path.startsWith("/bytes/"))
      return void response.writeHead(200, { "content-type": "application/octet-stream" }).end(Buffer.alloc(Number(path.slice(7)), 7));
    if (path === "/big") return void response.writeHead(200, { "content-type": "application/json" }).end(`"${"x".repeat(64 * 1024)}"`);
    if (path.startsWith("/to?")) return void response.writeHead(302, { location: decodeURIComponent(path.slice(4)) }).end();
    response.writeHead(404).end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
  kiln = await startKiln();
  acme = await kiln.tenant("acme");
  // Loopback needs the exact host:port; `localhost` without its port must not let a name reach it.
  const settings = await kiln.adminApi("PUT", "/v1/tenants/acme/settings", {
    egress: { allow: [`127.0.0.1:${port}`, "localhost"] },
    limits: { fetchResponseBytes: 4096 },
  });
  if (settings.status !== 200) throw new Error(`settings: ${settings.status} ${JSON.stringify(settings.body)}`);
  const secret = await acme.api("PUT", "/v1/tenants/acme/secrets/API_TOKEN", API_TOKEN, { "content-type": "text/plain" });
  if (secret.status !== 204) throw new Error(`secret: ${secret.status} ${JSON.stringify(secret.body)}`);
  deployed = await acme.deploy("starter", await fixture("cloudflare-fetch-workflow.ts"));
  if (deployed.status !== 201) throw new Error(`deploy: ${deployed.status} ${JSON.stringify(deployed.body)}`);
  await untilEgressAllowed(acme, `Bearer ${API_TOKEN}`);
}, 240_000);

/**
 * Settings and secrets reach executors through KV watches: wait until one of the tenant's fetches
 * gets through (carrying `authorization`, when given).
 */
const untilEgressAllowed = (client: TenantClient, authorization?: string) =>
  eventually(`the egress allow-list of ${client.id} reaches the executor`, async () => {
    seenHeaders.length = 0;
    const { id } = await client.create("starter", { params: { url: `${origin}/ips` } });
    const done = (await client.waitFor("starter", id, isFinished)).status === "complete";
    return done && (authorization === undefined || seenHeaders.some((headers) => headers.authorization === authorization));
  });

afterAll(async () => {
  await kiln?.close();
  await new Promise((resolve) => server?.close(resolve));
});

const runToEnd = async (params: Record<string, unknown>) => {
  const { id } = await acme.create("starter", { params });
  return { id, view: await acme.waitFor("starter", id, isFinished) };
};
const failure = async (params: Record<string, unknown>) => {
  const { view } = await runToEnd(params);
  expect(view.status).toBe("errored");
  return view.error as { name: string; message: string };
};

describe("fetch in a step", () => {
  it("reports the capabilities the version imports", () => {
    expect(deployed.body.capabilities).toEqual(["logging", "engine", "http"]);
  });

  it("behaves as on Cloudflare when the host is allowed: a real Response, headers sent, the result recorded", async () => {
    seenHeaders.length = 0; // only this instance's requests
    const { id, view } = await runToEnd({ url: `${origin}/ips` });
    expect(view.status).toBe("complete");
    expect(view.output.apiResponse).toEqual({
      status: 200,
      ok: true,
      url: `${origin}/ips`,
      redirected: false,
      contentType: "application/json",
      body: { result: { ipv4_cidrs: ["173.245.48.0/20"] }, success: true },
    });
    expect(seenHeaders.some((headers) => headers["x-kiln-test"] === "from the step")).toBe(true);
    // The tenant's secret, from this.env, arrives at the server it is meant for…
    expect(seenHeaders.some((headers) => headers.authorization === `Bearer ${API_TOKEN}`)).toBe(true);
    const lines = await acme.logs("starter", id);
    // …and nowhere else: not in the log lines, not in the status.
    expect(JSON.stringify(lines)).not.toContain(API_TOKEN);
    expect(JSON.stringify(view)).not.toContain(API_TOKEN);
    expect(lines.map((line) => line.message)).toContainEqual(expect.stringMatching(new RegExp(`^fetch GET 127\\.0\\.0\\.1:\\d+ → 200 in \\d+ ms$`)));
  });

  it("sends a request body and follows an allowed redirect", async () => {
    const { view } = await runToEnd({ url: `${origin}/to?${encodeURIComponent("/echo")}`, post: '{"n":1}' });
    expect(view.status).toBe("complete");
    // A 302 after a POST continues as GET, as fetch does.
    expect(view.output.apiResponse).toMatchObject({ status: 200, redirected: true, url: `${origin}/echo`, body: { method: "GET", body: "" } });
    const direct = await runToEnd({ url: `${origin}/echo`, post: '{"n":1}' });
    expect(direct.view.output.apiResponse.body).toEqual({ method: "POST", contentType: "application/json", body: '{"n":1}' });
  });

  it("refuses a host not on the allow-list, naming it, as a failed attempt subject to retries", async () => {
    const { view } = await runToEnd({});
    expect(view.status).toBe("errored");
    expect(view.error).toMatchObject({ name: "TypeError", message: "fetch to 'api.cloudflare.com' refused: not on this tenant's egress allow-list" });
    const step = view.steps.find((s: { name: string }) => s.name === "some other step");
    expect(step).toMatchObject({ status: "failed", attempts: 2 });
    expect(step.failedAttempts.map((a: { error: { name: string; message: string } }) => a.error)).toEqual([
      expect.objectContaining({ name: "TypeError", message: "fetch to 'api.cloudflare.com' refused: not on this tenant's egress allow-list" }),
      expect.objectContaining({ name: "TypeError", message: "fetch to 'api.cloudflare.com' refused: not on this tenant's egress allow-list" }),
    ]);
  });

  it("refuses cloud metadata and a listed name that resolves to loopback", async () => {
    expect((await failure({ url: "http://169.254.169.254/latest/meta-data/" })).message).toBe(
      "fetch to '169.254.169.254' refused: not on this tenant's egress allow-list",
    );
    expect((await failure({ url: "http://localhost/ips" })).message).toMatch(
      /^fetch to 'localhost' refused: it resolves to (127\.0\.0\.1|::1), a loopback address; only an exact 'localhost:80' entry/,
    );
  });

  it("re-checks a redirect and refuses an unlisted target", async () => {
    const target = encodeURIComponent("https://evil.example/steal");
    expect((await failure({ url: `${origin}/to?${target}` })).message).toBe("fetch to 'evil.example' refused: not on this tenant's egress allow-list");
  });

  it("refuses a response over limits.fetchResponseBytes", async () => {
    expect((await failure({ url: `${origin}/big` })).message).toBe(
      `fetch to '${origin.slice(7)}' failed: the response body is larger than 4096 bytes (limits.fetchResponseBytes)`,
    );
  });

  it("reads a response of the default 8 MiB limit into the component, and refuses one byte more", async () => {
    const bulk = await kiln.tenant("bulk");
    const port = new URL(origin).port;
    expect((await kiln.adminApi("PUT", "/v1/tenants/bulk/settings", { egress: { allow: [`127.0.0.1:${port}`] } })).status).toBe(200);
    expect((await bulk.deploy("starter", await fixture("cloudflare-fetch-workflow.ts"))).status).toBe(201);
    await untilEgressAllowed(bulk);
    const limit = 8 * 1024 * 1024;
    const run = async (bytes: number) => {
      const { id } = await bulk.create("starter", { params: { url: `${origin}/bytes/${bytes}`, sizeOnly: true } });
      return bulk.waitFor("starter", id, isFinished);
    };
    const started = performance.now();
    const whole = await run(limit);
    console.log(`an 8 MiB response through the component: ${Math.round(performance.now() - started)} ms create → complete`);
    expect(whole.status).toBe("complete");
    expect(whole.output.apiResponse).toMatchObject({ status: 200, body: limit });
    const over = await run(limit + 1);
    expect(over.error.message).toBe(`fetch to '127.0.0.1:${port}' failed: the response body is larger than ${limit} bytes (limits.fetchResponseBytes)`);
  });

  it("refuses fetch outside a step body with advice to use step.do", async () => {
    const error = await failure({ url: `${origin}/ips`, outsideStep: true });
    expect(error.name).toBe("FetchOutsideStepError");
    expect(error.message).toMatch(/only allowed inside a step body: wrap the call in step\.do/);
  });
});
