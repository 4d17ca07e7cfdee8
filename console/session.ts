/**
 * Who is signed in: a tenant and its token, kept in `sessionStorage` (this tab only, gone when it
 * closes), and the typed client acting as them. Every call the console makes goes through that
 * client, to `/v1/tenants/<tenant>/…` with the tenant's own token.
 */
import { createKilnClient, type KilnClient } from "../client/mod.ts";

export interface Session {
  readonly tenant: string;
  readonly token: string;
}

const STORAGE_KEY = "kiln.console.session";

export function loadSession(storage: Storage = sessionStorage): Session | undefined {
  try {
    const stored = JSON.parse(storage.getItem(STORAGE_KEY) ?? "null") as Partial<Session> | null;
    if (typeof stored?.tenant === "string" && typeof stored.token === "string") return { tenant: stored.tenant, token: stored.token };
  } catch {
    // Not ours or damaged: sign in again.
  }
  return undefined;
}

export function saveSession(session: Session, storage: Storage = sessionStorage): void {
  storage.setItem(STORAGE_KEY, JSON.stringify(session));
}

export function clearSession(storage: Storage = sessionStorage): void {
  storage.removeItem(STORAGE_KEY);
}

/** The client for `session`, against the gateway that served the page. */
export function clientFor(session: Session): KilnClient {
  return createKilnClient({ url: location.origin, token: session.token, tenant: session.tenant });
}
