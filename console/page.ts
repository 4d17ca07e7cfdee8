/** What every page of the console is given, and how a page shows a failed call. */
import { isKilnApiError, type KilnClient } from "../client/mod.ts";
import { h } from "./dom.ts";
import { clearSession, type Session } from "./session.ts";

export interface PageContext {
  /** The typed client acting as the signed-in tenant: the page's only way to the API. */
  readonly client: KilnClient;
  readonly session: Session;
  /** Aborts when the reader leaves the page: streams and timers stop with it. */
  readonly signal: AbortSignal;
}

/** A failed call in words: the API's own message and code. */
export function describeError(error: unknown): string {
  if (isKilnApiError(error)) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * The box a page shows a failed call in. A 401 means the token was revoked (or the gateway's admin
 * rotated it) since signing in: the box offers to sign in again.
 */
export function errorBox(error: unknown): HTMLElement {
  const box = h("p", { class: "error", role: "alert" }, describeError(error));
  if (isKilnApiError(error) && error.status === 401) {
    const again = h("button", { type: "button", class: "link" }, "Sign in again");
    again.addEventListener("click", () => {
      clearSession();
      location.reload();
    });
    box.append(" ", again);
  }
  return box;
}

/** Sleeps `ms`, or less if `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
