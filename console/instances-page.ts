/**
 * A workflow's instances, newest first: by status, by creation time, or one instance by its id, a
 * page at a time. The filter lives in the address, so a filtered list can be reloaded and shared.
 */
import { isKilnApiError, type InstanceSummary, type ListOptions } from "../client/mod.ts";
import { INSTANCE_STATUSES } from "../contract/instance.ts";
import { h, replaceChildren } from "./dom.ts";
import { formatTime, shortVersion } from "./format.ts";
import { errorBox, type PageContext } from "./page.ts";
import { routeHref, type InstanceFilter } from "./router.ts";
import { statusBadge } from "./status-badge.ts";

const PAGE_SIZE = 50;

/** A `datetime-local` value (the reader's own time zone) as the API's ISO 8601. */
function isoOf(local: string | undefined): string | undefined {
  if (local === undefined) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function filterForm(workflow: string, filter: InstanceFilter): HTMLFormElement {
  const status = h(
    "select",
    { name: "status", "aria-label": "Status" },
    h("option", { value: "" }, "any status"),
    ...INSTANCE_STATUSES.map((value) => h("option", { value, selected: filter.status === value }, value)),
  );
  const id = h("input", { name: "id", type: "search", placeholder: "instance id", value: filter.id, "aria-label": "Instance id" });
  const after = h("input", { name: "after", type: "datetime-local", step: 1, value: filter.createdAfter, "aria-label": "Created after" });
  const before = h("input", { name: "before", type: "datetime-local", step: 1, value: filter.createdBefore, "aria-label": "Created before" });
  const form = h(
    "form",
    { class: "filters", "data-testid": "instance-filters" },
    h("label", {}, "Status ", status),
    h("label", {}, "Created after ", after),
    h("label", {}, "before ", before),
    h("label", {}, "Id ", id),
    h("button", { type: "submit" }, "Search"),
    h("a", { href: routeHref({ page: "instances", workflow, filter: {} }), class: "button-link" }, "Clear"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next: InstanceFilter = {};
    if (status.value) next.status = status.value as InstanceFilter["status"];
    if (id.value.trim()) next.id = id.value.trim();
    if (after.value) next.createdAfter = after.value;
    if (before.value) next.createdBefore = before.value;
    location.hash = routeHref({ page: "instances", workflow, filter: next });
  });
  return form;
}

function row(workflow: string, instance: InstanceSummary): HTMLElement {
  return h(
    "tr",
    { "data-instance": instance.id },
    h("td", {}, h("a", { href: routeHref({ page: "instance", workflow, id: instance.id }) }, instance.id)),
    h("td", {}, statusBadge(instance.status)),
    h("td", {}, h("code", { title: instance.version }, shortVersion(instance.version))),
    h("td", {}, formatTime(instance.createdAt)),
    h("td", {}, formatTime(instance.updatedAt)),
  );
}

export function instancesPage(context: PageContext, workflow: string, filter: InstanceFilter): HTMLElement {
  const handle = context.client.workflow(workflow);
  const body = h("tbody", {});
  const table = h(
    "table",
    { class: "instances", "data-testid": "instances" },
    h("thead", {}, h("tr", {}, ...["Id", "Status", "Version", "Created", "Updated"].map((name) => h("th", {}, name)))),
    body,
  );
  const notice = h("div", {});
  const more = h("button", { type: "button", hidden: true }, "More");
  const refresh = h("button", { type: "button" }, "Refresh");

  const show = (instances: InstanceSummary[], replace: boolean) => {
    if (replace) body.replaceChildren();
    body.append(...instances.map((instance) => row(workflow, instance)));
    replaceChildren(notice, body.childElementCount === 0 ? h("p", { class: "muted" }, "No instances match.") : null);
  };

  let cursor: string | undefined;
  const loadPage = async (replace: boolean) => {
    try {
      if (filter.id !== undefined) {
        // One id: it either exists in this workflow or it does not.
        try {
          const view = await handle.instance(filter.id).status();
          show([view], true);
        } catch (error) {
          if (!(isKilnApiError(error) && error.status === 404)) throw error;
          show([], true);
        }
        more.hidden = true;
        return;
      }
      const options: ListOptions = { limit: PAGE_SIZE };
      if (filter.status) options.status = filter.status;
      const after = isoOf(filter.createdAfter);
      const before = isoOf(filter.createdBefore);
      if (after) options.createdAfter = after;
      if (before) options.createdBefore = before;
      if (!replace && cursor) options.cursor = cursor;
      const page = await handle.list(options);
      if (context.signal.aborted) return;
      cursor = page.cursor;
      show(page.instances, replace);
      more.hidden = cursor === undefined;
    } catch (error) {
      if (!context.signal.aborted) replaceChildren(notice, errorBox(error));
    }
  };
  more.addEventListener("click", () => void loadPage(false));
  refresh.addEventListener("click", () => void loadPage(true));
  void loadPage(true);

  return h(
    "div",
    { class: "instances-page" },
    h("nav", { class: "crumbs" }, h("a", { href: routeHref({ page: "workflows" }) }, "Workflows"), " / ", workflow),
    h("h1", {}, "Instances of ", h("code", {}, workflow)),
    filterForm(workflow, filter),
    h("div", { class: "toolbar" }, refresh),
    table,
    notice,
    more,
  );
}
