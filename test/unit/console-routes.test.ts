/**
 * The gateway's console routes: the page and its bundle (built by esbuild from console/ on first use),
 * public, with security headers and ETags; and the console's code reaches the API only through the
 * typed client.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createGatewayApp, type GatewayAppDeps } from "../../gateway/app.ts";
import { bundleConsole, CONSOLE_DIR, consoleAssets, type ConsoleAssets } from "../../gateway/console-assets.ts";

// Building the app only registers routes; the console routes read none of the dependencies.
const app = createGatewayApp({ metrics: { request() {} } } as unknown as GatewayAppDeps);

describe("the console routes", () => {
  it("serve the page, script and stylesheet without a token, with a CSP that allows no inline code", async () => {
    for (const [path, type] of [
      ["/console", "text/html"],
      ["/console/app.js", "text/javascript"],
      ["/console/app.css", "text/css"],
    ] as const) {
      const response = await app.request(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-type"), path).toContain(type);
      const csp = response.headers.get("content-security-policy") ?? "";
      expect(csp, path).toContain("default-src 'none'");
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).not.toContain("unsafe");
      expect(response.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(response.headers.get("referrer-policy"), path).toBe("no-referrer");
    }
    const page = await (await app.request("/console")).text();
    expect(page).toContain('<script type="module" src="/console/app.js"></script>');
    // The only scripts are files: nothing inline for the CSP to refuse.
    expect(page.match(/<script\b[^>]*>[^<]+<\/script>/g)).toBeNull();
  });

  it("answers 304 to a browser that has the same file", async () => {
    const first = await app.request("/console/app.js");
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const again = await app.request("/console/app.js", { headers: { "if-none-match": etag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
  });

  it("bundles the console with the typed client into one script", async () => {
    const assets = await bundleConsole();
    expect(assets.script.body).toContain("/v1/tenants/");
    expect(assets.script.body).not.toMatch(/from\s*["']/); // one file: no imports left for the browser to fetch
    expect(assets.styles.body).toContain(".timeline");
  });

  it("builds once, and builds again after a failed build", async () => {
    let builds = 0;
    const ok: ConsoleAssets = await bundleConsole();
    const assets = consoleAssets(async () => {
      builds++;
      if (builds === 1) throw new Error("esbuild crashed");
      return ok;
    });
    await expect(assets()).rejects.toThrow("esbuild crashed");
    expect(await assets()).toBe(ok);
    expect(await assets()).toBe(ok);
    expect(builds).toBe(2);
  });

  it("reach the API only through the typed client (kiln/client): no fetch, XHR or EventSource of their own", async () => {
    const files = (await readdir(CONSOLE_DIR)).filter((file) => file.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const source = await readFile(join(CONSOLE_DIR, file), "utf8");
      expect(source, file).not.toMatch(/\bfetch\(|XMLHttpRequest|EventSource|innerHTML|outerHTML|insertAdjacentHTML/);
    }
  });
});
