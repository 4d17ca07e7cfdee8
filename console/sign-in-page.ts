/**
 * Signing in: a tenant name and one of its tokens. The pair is tried against the tenant's own
 * workflows route before it is kept, so a wrong token or tenant is said at once (the gateway answers
 * 401 for an unknown token and 404 for another tenant's path, which the page does not tell apart).
 */
import { createKilnClient, isKilnApiError } from "../client/mod.ts";
import { TENANT_NAME } from "../contract/names.ts";
import { h } from "./dom.ts";
import { describeError } from "./page.ts";
import { saveSession, type Session } from "./session.ts";

export function signInPage(signedIn: (session: Session) => void): HTMLElement {
  const tenant = h("input", { name: "tenant", autocomplete: "username", required: true, placeholder: "acme", "aria-label": "Tenant" });
  const token = h("input", { name: "token", type: "password", autocomplete: "current-password", required: true, "aria-label": "Token" });
  const submit = h("button", { type: "submit" }, "Sign in");
  const message = h("p", { class: "error", role: "alert", hidden: true });
  const form = h(
    "form",
    { class: "sign-in", "data-testid": "sign-in" },
    h("h1", {}, "Kiln console"),
    h("p", { class: "muted" }, "Sign in with your tenant and a tenant token (the `read` scope shows, `run` also acts). It is kept in this tab only."),
    h("label", {}, "Tenant", tenant),
    h("label", {}, "Token", token),
    submit,
    message,
  );
  const fail = (text: string) => {
    message.textContent = text;
    message.hidden = false;
    submit.disabled = false;
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const session: Session = { tenant: tenant.value.trim(), token: token.value.trim() };
    if (!TENANT_NAME.test(session.tenant)) return fail(`'${session.tenant}' is not a tenant name: lowercase letters, digits and '-'`);
    submit.disabled = true;
    void createKilnClient({ url: location.origin, token: session.token, tenant: session.tenant })
      .workflows.list()
      .then(
        () => {
          saveSession(session);
          signedIn(session);
        },
        (error: unknown) => {
          const refused = isKilnApiError(error) && [401, 403, 404].includes(error.status);
          fail(refused ? `That token does not open tenant '${session.tenant}'.` : `Could not sign in: ${describeError(error)}`);
        },
      );
  });
  return h("main", { class: "sign-in-page" }, form);
}
