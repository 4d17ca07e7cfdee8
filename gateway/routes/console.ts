/**
 * The web console: one HTML page and its bundled script and stylesheet, public like `/healthz`. The
 * page holds no data; the browser signs in with a tenant token and calls the tenant's own `/v1`
 * routes through the typed client, so the console sees exactly what that token may see.
 */
import { Hono, type Context } from "hono";
import type { ConsoleAsset, ConsoleAssets } from "../console-assets.ts";

/**
 * No inline script or style, nothing from another origin, no framing: what the page needs and no
 * more. `connect-src 'self'` lets the client reach this gateway's API only.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Sent with every console file. */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONSOLE_CSP,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
  // Revalidated on every load (cheap, by ETag), so a new gateway's console is picked up at once.
  "cache-control": "no-cache",
};

function serve(c: Context, file: ConsoleAsset): Response {
  const headers = { ...CONSOLE_HEADERS, etag: file.etag };
  if (c.req.header("if-none-match") === file.etag) return c.body(null, 304, headers);
  return c.body(file.body, 200, { ...headers, "content-type": file.contentType });
}

export function consoleRoutes(assets: () => Promise<ConsoleAssets>) {
  const app = new Hono();
  app.get("/", async (c) => serve(c, (await assets()).page));
  app.get("/app.js", async (c) => serve(c, (await assets()).script));
  app.get("/app.css", async (c) => serve(c, (await assets()).styles));
  return app;
}
