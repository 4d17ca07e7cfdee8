/**
 * The web console (`/console`) in a real headless Chromium against a real Kiln: Debian's `chromium`
 * package, driven by playwright-core. Signs in through the page, watches an instance run to the end
 * and reads its step timeline, terminates another with the button, and checks that nothing of
 * another tenant reaches the page. Takes the screenshots the README shows: into docs/console/ with
 * `KILN_UPDATE_SCREENSHOTS=1`, else into a temp dir, so a test run leaves the checkout as it was.
 *
 * Without the browser the file is skipped with a message, except in CI (`CI` set), where it fails:
 * .ci/run installs the package.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixture, startKiln, type TenantClient, type TestKiln } from "../helpers/kiln.ts";

const CHROMIUM = process.env.KILN_CHROMIUM || "/usr/bin/chromium";
const SCREENSHOTS = process.env.KILN_UPDATE_SCREENSHOTS
  ? fileURLToPath(new URL("../../docs/console/", import.meta.url))
  : join(tmpdir(), `kiln-console-screenshots-${process.pid}`);
/** Generous: the machine is shared, and a wait here is on a condition, never on a clock. */
const WAIT_MS = 60_000;

const browserMissing = !existsSync(CHROMIUM);
if (browserMissing) {
  const message = `no Chromium at ${CHROMIUM}: install Debian's package (apt-get install -y chromium) or set KILN_CHROMIUM`;
  if (process.env.CI) throw new Error(`the console test needs a browser in CI: ${message}`);
  console.warn(`skipping test/e2e/console.test.ts: ${message}`);
}

/** Another tenant's instance id: it must never appear on acme's pages. */
const FOREIGN_ID = "globex-private-order";

let kiln: TestKiln;
let acme: TenantClient;
let globex: TenantClient;
let browser: Browser;
let page: Page;
/** Every API request the page made, with the token it carried. */
const apiRequests: Array<{ url: string; authorization: string | undefined }> = [];
/** What the page showed, page by page, to look for the other tenant's data in. */
const seen: string[] = [];
const pageErrors: string[] = [];
const cspViolations: string[] = [];

const snapshot = async () => seen.push(await page.content());
const status = (value: string) => page.locator(`h1 .status[data-status="${value}"]`);

describe.skipIf(browserMissing)("the web console in headless Chromium", () => {
  beforeAll(async () => {
    kiln = await startKiln();
    acme = await kiln.tenant("acme");
    globex = await kiln.tenant("globex");
    const source = await fixture("console-demo.ts");
    for (const tenant of [acme, globex]) {
      const deployed = await tenant.deploy("demo", source);
      expect(deployed.status, JSON.stringify(deployed.body)).toBe(201);
    }
    await globex.create("demo", { id: FOREIGN_ID, params: { customer: "globex-customer" } });
    await acme.create("demo", { id: "order-1", params: { customer: "ada" } });
    await acme.create("demo", { id: "order-2", params: { customer: "grace" } });

    browser = await chromium.launch({ executablePath: CHROMIUM });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(WAIT_MS);
    page.on("request", (request) => {
      if (new URL(request.url()).pathname.startsWith("/v1/")) apiRequests.push({ url: request.url(), authorization: request.headers()["authorization"] });
    });
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error" && /Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    await mkdir(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await kiln?.close();
  });

  it("serves the page with a Content-Security-Policy that allows no inline script", async () => {
    const response = await page.goto(`${kiln.gateway.url}/console`);
    expect(response?.status()).toBe(200);
    const headers = response!.headers();
    expect(headers["content-security-policy"]).toContain("script-src 'self'");
    expect(headers["content-security-policy"]).not.toContain("unsafe-inline");
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["x-frame-options"]).toBe("DENY");
    await expect.poll(() => page.locator('[data-testid="sign-in"]').count()).toBe(1);
  });

  it("refuses another tenant's token and signs in with the tenant's own", async () => {
    await page.fill('input[name="tenant"]', "acme");
    await page.fill('input[name="token"]', globex.token);
    await page.click('button[type="submit"]');
    await page.getByText("That token does not open tenant 'acme'.").waitFor();

    await page.fill('input[name="token"]', acme.token);
    await page.click('button[type="submit"]');
    const card = page.locator('[data-workflow="demo"]');
    await card.waitFor();
    expect(await page.locator('[data-testid="tenant"]').textContent()).toContain("acme");
    expect(await card.locator("[data-capability]").allTextContents()).toEqual(expect.arrayContaining(["engine", "logging"]));
    expect(await card.locator("tr[data-version]").count()).toBe(1);
    // Kept in this tab's sessionStorage, not in a cookie or localStorage.
    expect(await page.evaluate(() => sessionStorage.length)).toBe(1);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    // A reload keeps the tab signed in.
    await page.reload();
    await card.waitFor();
    await snapshot();
    await page.locator(".shell").screenshot({ path: join(SCREENSHOTS, "workflows.png") });
  });

  it("lists the workflow's instances and finds one by id", async () => {
    await page.click('[data-workflow="demo"] h2 a');
    await page.locator('tr[data-instance="order-2"]').waitFor();
    expect(await page.locator("tr[data-instance]").count()).toBe(2);
    await snapshot();

    await page.fill('input[name="id"]', "order-1");
    await page.click('[data-testid="instance-filters"] button[type="submit"]');
    await expect.poll(() => page.locator("tr[data-instance]").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-instance")))).toEqual(["order-1"]);
    expect(page.url()).toContain("id=order-1");
    await snapshot();
  });

  it("watches an instance run to completion and draws its step timeline", async () => {
    await page.click('tr[data-instance="order-1"] a');
    await status("waiting").waitFor();
    await page.fill('[data-testid="send-event"] input[name="type"]', "approved");
    await page.fill('[data-testid="send-event"] textarea[name="payload"]', '{"by": "ops"}');
    await page.click('[data-testid="send-event"] button[type="submit"]');
    await status("complete").waitFor();

    expect(JSON.parse((await page.locator('[data-testid="output"]').textContent())!)).toEqual({
      user: { name: "ada" },
      receipt: { charged: 42 },
      approvedBy: "ops",
    });
    const timeline = page.locator('svg[data-testid="timeline"]');
    expect(await timeline.locator("g.row").evaluateAll((rows) => rows.map((row) => [row.getAttribute("data-step"), row.getAttribute("data-type")]))).toEqual([
      ["load user", "do"],
      ["charge card", "do"],
      ["cool off", "sleep"],
      ["approval", "waitForEvent"],
    ]);
    // The card step: attempt 1 failed, a retry delay, attempt 2 succeeded.
    const charge = timeline.locator('g.row[data-step="charge card"]');
    expect(
      await charge.locator("[data-kind]").evaluateAll((shapes) => shapes.map((shape) => [shape.getAttribute("data-kind"), shape.getAttribute("data-attempt")])),
    ).toEqual([
      ["failed-attempt", "1"],
      ["retry-delay", null],
      ["attempt", "2"],
    ]);
    expect(await charge.locator('[data-kind="failed-attempt"] title').textContent()).toContain("Error: card processor unavailable");
    expect(await timeline.locator('g.row[data-step="cool off"] [data-kind="sleep"]').count()).toBe(1);
    expect(await timeline.locator('g.row[data-step="approval"] [data-kind="wait"]').count()).toBe(1);
    expect(await page.locator('[data-testid="failed-attempts"] li').allTextContents()).toEqual(["charge card · attempt 1 · Error: card processor unavailable"]);

    const chargeRow = page.locator('[data-testid="steps"] tr[data-step="charge card"] td');
    expect(await chargeRow.allTextContents()).toEqual(["charge card", "do", "complete", "2", expect.any(String), '{"charged":42}']);

    // The wait is drawn from when it began, not from when its event was taken.
    const approval = ((await acme.get("demo", "order-1")).steps as Array<{ name: string; startedAt: string; completedAt: string }>).find(
      (step) => step.name === "approval",
    )!;
    expect(Date.parse(approval.startedAt)).toBeLessThan(Date.parse(approval.completedAt));

    const logs = page.locator('[data-testid="logs"]');
    await logs.getByText("loading customer ada").waitFor();
    await logs.getByText("charged on attempt 2").waitFor();
    await snapshot();
    await page.locator(".shell").screenshot({ path: join(SCREENSHOTS, "timeline.png") });
  });

  it("terminates another instance with the button", async () => {
    await page.goto(`${kiln.gateway.url}/console#/workflows/demo/instances/order-2`);
    await status("waiting").waitFor();
    page.once("dialog", (dialog) => void dialog.accept());
    await page.click('button[data-action="terminate"]');
    await status("terminated").waitFor();
    expect((await acme.get("demo", "order-2")).status).toBe("terminated");
    expect(await page.locator('button[data-action="terminate"]').isDisabled()).toBe(true);
    await snapshot();
  });

  it("shows instances by status and by creation time", async () => {
    await acme.create("demo", { id: "order-3", params: { customer: "edsger" } });
    await page.goto(`${kiln.gateway.url}/console#/workflows/demo?status=terminated`);
    await expect.poll(() => page.locator("tr[data-instance]").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-instance")))).toEqual(["order-2"]);
    // By creation time: nothing was created after 2999; everything before it.
    await page.goto(`${kiln.gateway.url}/console#/workflows/demo?after=2999-01-01T00:00`);
    await page.getByText("No instances match.").waitFor();
    expect(await page.locator('input[name="after"]').inputValue()).toBe("2999-01-01T00:00");
    await page.goto(`${kiln.gateway.url}/console#/workflows/demo?before=2999-01-01T00:00`);
    await page.locator('tr[data-instance="order-1"]').waitFor();
    await page.goto(`${kiln.gateway.url}/console#/workflows/demo`);
    await page.locator('tr[data-instance="order-3"]').waitFor();
    await expect.poll(() => page.locator("tr[data-instance] .status").allTextContents()).toEqual(expect.arrayContaining(["complete", "terminated"]));
    await snapshot();
    await page.locator(".shell").screenshot({ path: join(SCREENSHOTS, "instances.png") });
  });

  it("never shows another tenant's data: every call is the tenant's own, with its own token", async () => {
    // The other tenant's instance id, asked for by address, is simply not there for acme.
    await page.goto(`${kiln.gateway.url}/console#/workflows/demo/instances/${FOREIGN_ID}`);
    await page.locator('[role="alert"]').getByText("not found").waitFor();
    await snapshot();

    expect(apiRequests.length).toBeGreaterThan(10);
    const strays = apiRequests.filter(({ url }) => !new URL(url).pathname.startsWith("/v1/tenants/acme/"));
    expect(strays).toEqual([]);
    // The refused sign-in tried globex's token once; every call after it carried acme's.
    const tokens = apiRequests.map(({ authorization }) => authorization);
    expect(tokens[0]).toBe(`Bearer ${globex.token}`);
    expect(new Set(tokens.slice(1))).toEqual(new Set([`Bearer ${acme.token}`]));
    for (const html of seen) expect(html).not.toContain("globex-customer");
    // The last page names the id only because the reader typed it into the address.
    expect(seen.slice(0, -1).filter((html) => html.includes(FOREIGN_ID))).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });

  it("signs out, forgetting the token", async () => {
    await page.goto(`${kiln.gateway.url}/console#/workflows`);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.locator('[data-testid="sign-in"]').waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });
});
