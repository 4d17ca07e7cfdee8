/** The tenant's workflows, each with its versions and the capabilities each version imports. */
import type { WorkflowView } from "../client/mod.ts";
import { h, replaceChildren } from "./dom.ts";
import { formatTime, shortVersion } from "./format.ts";
import { errorBox, type PageContext } from "./page.ts";
import { routeHref } from "./router.ts";

function capabilities(list: readonly string[] | undefined): HTMLElement {
  if (list === undefined || list.length === 0) return h("span", { class: "muted" }, "—");
  return h("span", { class: "chips" }, ...list.map((capability) => h("span", { class: "chip", "data-capability": capability }, capability)));
}

function workflowCard(workflow: WorkflowView): HTMLElement {
  // Newest first, as the latest is the one new instances run.
  const versions = [...workflow.versions].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return h(
    "article",
    { class: "card", "data-workflow": workflow.name },
    h(
      "header",
      {},
      h("h2", {}, h("a", { href: routeHref({ page: "instances", workflow: workflow.name, filter: {} }) }, workflow.name)),
      h("a", { class: "button-link", href: routeHref({ page: "instances", workflow: workflow.name, filter: {} }) }, "Instances →"),
    ),
    h(
      "table",
      { class: "versions" },
      h("thead", {}, h("tr", {}, h("th", {}, "Version"), h("th", {}, "Deployed"), h("th", {}, "Source"), h("th", {}, "Capabilities"))),
      h(
        "tbody",
        {},
        ...versions.map((version) =>
          h(
            "tr",
            { "data-version": version.version },
            h(
              "td",
              {},
              h("code", { title: version.version }, shortVersion(version.version)),
              version.version === workflow.latestVersion ? h("span", { class: "chip chip-latest" }, "latest") : null,
            ),
            h("td", {}, formatTime(version.createdAt)),
            h("td", {}, version.source),
            h("td", {}, capabilities(version.capabilities)),
          ),
        ),
      ),
    ),
  );
}

export function workflowsPage(context: PageContext): HTMLElement {
  const list = h("div", { class: "cards", "data-testid": "workflows" }, h("p", { class: "muted" }, "Loading…"));
  void (async () => {
    try {
      const summaries = await context.client.workflows.list();
      const workflows = await Promise.all(summaries.map((summary) => context.client.workflows.get(summary.name)));
      if (context.signal.aborted) return;
      replaceChildren(
        list,
        workflows.length === 0 ? h("p", { class: "muted" }, "No workflows yet: deploy one with `kiln deploy`.") : null,
        ...workflows.map(workflowCard),
      );
    } catch (error) {
      if (!context.signal.aborted) replaceChildren(list, errorBox(error));
    }
  })();
  return h("div", { class: "workflows-page" }, h("h1", {}, "Workflows"), list);
}
