/**
 * One instance: its status and details, the lifecycle buttons, the step timeline, its output or
 * error, its params and its live logs. Status changes arrive over the status stream; steps are read
 * again every few seconds while the instance has not ended.
 */
import type { InstanceView } from "../client/mod.ts";
import { FINAL_STATUSES } from "../contract/instance.ts";
import { h, replaceChildren } from "./dom.ts";
import { formatDuration, formatJson, formatTime, shortVersion } from "./format.ts";
import { instanceActions } from "./instance-actions.ts";
import { logPanel } from "./log-panel.ts";
import { errorBox, pause, type PageContext } from "./page.ts";
import { routeHref } from "./router.ts";
import { statusBadge } from "./status-badge.ts";
import { stepsTable } from "./steps-table.ts";
import { layoutTimeline } from "./timeline.ts";
import { timelineElement } from "./timeline-svg.ts";

/** How often a running instance's steps are read again (status changes come at once, by stream). */
const POLL_MS = 1_500;

function details(view: InstanceView): HTMLElement {
  const rows: Array<[string, string | Node]> = [
    ["Workflow", h("a", { href: routeHref({ page: "instances", workflow: view.workflow, filter: {} }) }, view.workflow)],
    ["Version", h("code", { title: view.version }, shortVersion(view.version))],
    ["Created", formatTime(view.createdAt)],
    ["Updated", formatTime(view.updatedAt)],
  ];
  if (view.suspended) {
    const { kind, step, until, eventType } = view.suspended;
    const on = kind === "event" ? `event '${eventType ?? "?"}' (step "${step}")` : `step "${step}"`;
    rows.push(["Suspended", `${kind === "sleep" ? "sleeping in" : "waiting for"} ${on}${until ? ` until ${formatTime(until)}` : ""}`]);
  }
  for (const problem of [view.platformFailure, view.cpuLimit, view.memoryLimit]) {
    if (problem) rows.push(["Retrying", `${problem.message} (${problem.failures} failures; next try ${formatTime(problem.retryAt)})`]);
  }
  if (view.concurrencyWait)
    rows.push(["Held back", `at the concurrency limit of ${view.concurrencyWait.limit} since ${formatTime(view.concurrencyWait.since)}`]);
  return h("dl", { class: "details" }, ...rows.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

function outcome(view: InstanceView): HTMLElement | null {
  if (view.status === "complete") return h("section", {}, h("h2", {}, "Output"), h("pre", { class: "json", "data-testid": "output" }, formatJson(view.output)));
  if (view.error) {
    const { name, message, stack } = view.error as { name?: string; message?: string; stack?: string };
    return h(
      "section",
      {},
      h("h2", {}, "Error"),
      h("pre", { class: "json error-text", "data-testid": "instance-error" }, stack ?? `${name ?? "Error"}: ${message ?? ""}`),
    );
  }
  return null;
}

export function instancePage(context: PageContext, workflow: string, id: string): HTMLElement {
  const instance = context.client.workflow(workflow).instance(id);
  const title = h("h1", {}, h("span", { class: "instance-id", "data-testid": "instance-id" }, id));
  const meta = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const timeline = h("div", {});
  const result = h("div", {});
  const params = h("pre", { class: "json" });
  let final = false;

  const load = async () => {
    let view: InstanceView;
    try {
      view = await instance.status();
    } catch (error) {
      if (!context.signal.aborted) replaceChildren(meta, errorBox(error));
      return;
    }
    if (context.signal.aborted) return;
    final = FINAL_STATUSES.has(view.status);
    replaceChildren(title, h("span", { class: "instance-id", "data-testid": "instance-id" }, view.id), " ", statusBadge(view.status));
    replaceChildren(meta, details(view));
    actions.update(view.status);
    const layout = layoutTimeline(view, Date.now());
    replaceChildren(
      timeline,
      h("p", { class: "muted" }, `${view.steps.length} steps over ${formatDuration(layout.endMs - layout.startMs)}`),
      timelineElement(layout),
      stepsTable(view.steps),
    );
    replaceChildren(result, outcome(view));
    params.textContent = formatJson(view.params);
  };

  // One read at a time; a request for another while one runs is folded into a single one after it.
  let loading = false;
  let again = false;
  const refresh = () => {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    void load().finally(() => {
      loading = false;
      if (again && !context.signal.aborted) {
        again = false;
        refresh();
      }
    });
  };

  const actions = instanceActions({ instance, changed: refresh });
  refresh();
  void (async () => {
    try {
      for await (const _change of instance.watch({ signal: context.signal })) refresh();
    } catch {
      // Aborted by leaving the page, or the stream failed: the poll below still reads the instance.
    }
  })();
  void (async () => {
    while (!context.signal.aborted) {
      await pause(POLL_MS, context.signal);
      if (!final && !context.signal.aborted) refresh();
    }
  })();

  return h(
    "div",
    { class: "instance-page" },
    h(
      "nav",
      { class: "crumbs" },
      h("a", { href: routeHref({ page: "workflows" }) }, "Workflows"),
      " / ",
      h("a", { href: routeHref({ page: "instances", workflow, filter: {} }) }, workflow),
    ),
    title,
    meta,
    actions.element,
    h("section", {}, h("h2", {}, "Step timeline"), timeline),
    result,
    h("section", {}, h("h2", {}, "Params"), params),
    h("section", {}, h("h2", {}, "Logs"), logPanel(instance, context.signal)),
  );
}
