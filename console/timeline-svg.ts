/**
 * The step timeline drawn as SVG: one row per step, its attempts, retry delays, sleeps and waits as
 * bars on the instance's time axis, each with a hover title; below it, every failed attempt's error
 * as text. Colours come from styles.css by class (no inline styles under the page's CSP).
 */
import { h, s } from "./dom.ts";
import type { Segment, TimelineLayout, TimelineRow } from "./timeline.ts";

const WIDTH = 960;
const LABEL_WIDTH = 200;
const AXIS_HEIGHT = 26;
const ROW_HEIGHT = 30;
const BAR_HEIGHT = 14;
const PLOT_WIDTH = WIDTH - LABEL_WIDTH - 16;
/** A bar never thinner than this, so a 3 ms step still shows. */
const MIN_BAR_WIDTH = 3;

const LEGEND: ReadonlyArray<[Segment["kind"], string]> = [
  ["attempt", "attempt"],
  ["failed-attempt", "failed attempt"],
  ["retry-delay", "retry delay"],
  ["sleep", "sleep"],
  ["wait", "wait for event"],
];

const rowName = (row: TimelineRow) => (row.count > 1 ? `${row.name} #${row.count}` : row.name);

function segmentShape(segment: Segment, x: (ms: number) => number, y: number, row: TimelineRow): SVGElement {
  const left = x(segment.startMs);
  const width = Math.max(MIN_BAR_WIDTH, x(segment.endMs) - left);
  const common = {
    class: `segment segment-${segment.kind}${segment.open ? " segment-open" : ""}`,
    "data-kind": segment.kind,
    "data-step": rowName(row),
    "data-attempt": segment.attempt,
  };
  const title = s("title", {}, segment.label);
  if (segment.kind === "retry-delay") {
    // A gap, not work: a dashed line between the attempts.
    const middle = y + ROW_HEIGHT / 2;
    return s("line", { ...common, x1: left, x2: left + width, y1: middle, y2: middle }, title);
  }
  return s("rect", { ...common, x: left, y: y + (ROW_HEIGHT - BAR_HEIGHT) / 2, width, height: BAR_HEIGHT, rx: 2 }, title);
}

/** The timeline of `layout`, with its legend and the errors of failed attempts. */
export function timelineElement(layout: TimelineLayout): HTMLElement {
  if (layout.rows.length === 0) return h("p", { class: "muted", "data-testid": "timeline-empty" }, "No steps yet.");
  const height = AXIS_HEIGHT + layout.rows.length * ROW_HEIGHT + 4;
  const span = Math.max(1, layout.endMs - layout.startMs);
  const x = (ms: number) => LABEL_WIDTH + ((Math.min(Math.max(ms, layout.startMs), layout.endMs) - layout.startMs) / span) * PLOT_WIDTH;

  const svg = s("svg", {
    class: "timeline",
    viewBox: `0 0 ${WIDTH} ${height}`,
    role: "img",
    "aria-label": `Step timeline: ${layout.rows.length} steps`,
    "data-testid": "timeline",
  });
  for (const tick of layout.ticks) {
    const at = x(tick.ms);
    svg.append(
      s("line", { class: "tick", x1: at, x2: at, y1: AXIS_HEIGHT - 6, y2: height }),
      s("text", { class: "tick-label", x: at, y: AXIS_HEIGHT - 10, "text-anchor": "middle" }, tick.label),
    );
  }
  layout.rows.forEach((row, index) => {
    const y = AXIS_HEIGHT + index * ROW_HEIGHT;
    const group = s("g", { class: `row row-${row.status}`, "data-step": rowName(row), "data-type": row.type, "data-status": row.status });
    group.append(
      s("rect", { class: index % 2 === 0 ? "row-band" : "row-band row-band-odd", x: 0, y, width: WIDTH, height: ROW_HEIGHT }),
      s("text", { class: "row-label", x: 8, y: y + ROW_HEIGHT / 2 + 4 }, s("title", {}, `${rowName(row)} (${row.type}, ${row.status})`), rowName(row)),
      ...row.segments.map((segment) => segmentShape(segment, x, y, row)),
    );
    svg.append(group);
  });

  const legend = h("ul", { class: "legend" }, ...LEGEND.map(([kind, label]) => h("li", {}, h("span", { class: `swatch swatch-${kind}` }), label)));
  const failures = layout.rows.flatMap((row) =>
    row.segments
      .filter((segment) => segment.error !== undefined)
      .map((segment) =>
        h(
          "li",
          { "data-step": rowName(row), "data-attempt": segment.attempt },
          h("strong", {}, rowName(row)),
          segment.attempt === undefined ? "" : ` · attempt ${segment.attempt}`,
          " · ",
          h("code", {}, `${segment.error!.name}: ${segment.error!.message}`),
        ),
      ),
  );
  return h(
    "div",
    { class: "timeline-box" },
    h("div", { class: "timeline-scroll" }, svg),
    legend,
    failures.length === 0 ? null : h("div", { class: "failures" }, h("h3", {}, "Failed attempts"), h("ul", { "data-testid": "failed-attempts" }, ...failures)),
  );
}
