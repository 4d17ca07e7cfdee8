/**
 * `kiln doctor`: can this machine use Kiln as logged in? The gateway's health, then the token.
 * (NATS-side checks are the operator's `npm run doctor`.)
 */
import { isKilnApiError, type KilnClient } from "../client/mod.ts";
import { table, type Output } from "./output.ts";

interface Check {
  check: string;
  ok: boolean;
  detail: string;
}

const failure = (error: unknown) => (isKilnApiError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error));

export async function doctor(client: KilnClient, out: Output): Promise<number> {
  const checks: Check[] = [];
  const health = await client.http.raw<{ status?: string }>("GET", "/healthz").catch((error: unknown) => error);
  if (health instanceof Error) {
    checks.push({ check: "gateway", ok: false, detail: `${client.http.url} unreachable: ${health.message}` });
  } else {
    const { status, body } = health as { status: number; body: { status?: string } | undefined };
    checks.push({ check: "gateway", ok: status === 200, detail: `${client.http.url}/healthz answered ${status} ${body?.status ?? ""}`.trim() });
  }
  if (checks[0]!.ok) {
    try {
      const workflows = await client.workflows.list();
      checks.push({ check: "token", ok: true, detail: `tenant ${client.tenant}: ${workflows.length} workflow(s) visible` });
    } catch (error) {
      // A token without the read scope still belongs to the tenant: it works for what it may do.
      const forbidden = isKilnApiError(error) && error.status === 403;
      checks.push({ check: "token", ok: forbidden, detail: forbidden ? `tenant ${client.tenant}: valid, without the read scope` : failure(error) });
    }
  }
  const ok = checks.every((check) => check.ok);
  out.result(
    { ok, checks },
    table(
      ["CHECK", "OK", "DETAIL"],
      checks.map((check) => [check.check, check.ok ? "yes" : "NO", check.detail]),
    ),
  );
  return ok ? 0 : 1;
}
