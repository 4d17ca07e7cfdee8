/**
 * The steps of an instance as a table beside the timeline: type, status, attempts, how long each
 * took and what it returned. Outputs are cut to a line here; the steps route has them whole.
 */
import type { StepView } from "../client/mod.ts";
import { h } from "./dom.ts";
import { formatDuration } from "./format.ts";

/** Characters of an output shown in the table. */
const OUTPUT_CHARS = 160;

function result(step: StepView): string {
  if (step.redacted) return "(sensitive: not shown)";
  if (step.outputTruncated) return `(${step.outputTruncated.bytes} bytes: too large for the status view)`;
  if (step.error) return `${step.error.name}: ${step.error.message}`;
  const value = step.type === "waitForEvent" ? step.event : step.output;
  if (value === undefined) return "";
  const json = JSON.stringify(value) ?? "";
  return json.length > OUTPUT_CHARS ? `${json.slice(0, OUTPUT_CHARS)}…` : json;
}

function took(step: StepView): string {
  if (step.startedAt === undefined || step.completedAt === undefined) return "";
  return formatDuration(Math.max(0, Date.parse(step.completedAt) - Date.parse(step.startedAt)));
}

export function stepsTable(steps: readonly StepView[]): HTMLElement | null {
  if (steps.length === 0) return null;
  return h(
    "table",
    { class: "steps", "data-testid": "steps" },
    h("thead", {}, h("tr", {}, ...["Step", "Type", "Status", "Attempts", "Took", "Result"].map((name) => h("th", {}, name)))),
    h(
      "tbody",
      {},
      ...steps.map((step) =>
        h(
          "tr",
          { "data-step": step.count > 1 ? `${step.name} #${step.count}` : step.name },
          h("td", {}, step.count > 1 ? `${step.name} #${step.count}` : step.name),
          h("td", {}, step.type),
          h("td", {}, h("span", { class: `step-status step-${step.status}` }, step.status)),
          h("td", {}, step.attempts),
          h("td", {}, took(step)),
          h("td", {}, h("code", { class: step.error ? "error-text" : "" }, result(step))),
        ),
      ),
    ),
  );
}
