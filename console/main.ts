/**
 * The console's entry: signs in or shows the page the address names, and starts over on every
 * address change. Leaving a page aborts its streams and timers.
 */
import "./styles.css";
import { h, replaceChildren } from "./dom.ts";
import { instancePage } from "./instance-page.ts";
import { instancesPage } from "./instances-page.ts";
import { parseRoute, routeHref } from "./router.ts";
import { clearSession, clientFor, loadSession, type Session } from "./session.ts";
import { signInPage } from "./sign-in-page.ts";
import { workflowsPage } from "./workflows-page.ts";

const root = document.getElementById("app")!;
let leave = new AbortController();

function shell(session: Session, page: HTMLElement): HTMLElement {
  const signOut = h("button", { type: "button", class: "link" }, "Sign out");
  signOut.addEventListener("click", () => {
    clearSession();
    render();
  });
  return h(
    "div",
    { class: "shell" },
    h(
      "header",
      { class: "top" },
      h("a", { class: "brand", href: routeHref({ page: "workflows" }) }, "Kiln"),
      h("nav", {}, h("a", { href: routeHref({ page: "workflows" }) }, "Workflows")),
      h("span", { class: "tenant", "data-testid": "tenant" }, "tenant ", h("strong", {}, session.tenant)),
      signOut,
    ),
    h("main", {}, page),
  );
}

function render(): void {
  leave.abort();
  leave = new AbortController();
  const session = loadSession();
  if (!session) {
    replaceChildren(
      root,
      signInPage(() => render()),
    );
    return;
  }
  const context = { client: clientFor(session), session, signal: leave.signal };
  const route = parseRoute(location.hash);
  const page =
    route.page === "instance"
      ? instancePage(context, route.workflow, route.id)
      : route.page === "instances"
        ? instancesPage(context, route.workflow, route.filter)
        : workflowsPage(context);
  replaceChildren(root, shell(session, page));
  window.scrollTo(0, 0);
}

window.addEventListener("hashchange", render);
render();
