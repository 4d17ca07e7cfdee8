/** A horizontal bar chart as standalone SVG: the benchmark's charts, with no plotting dependency. */

export interface Bar {
  label: string;
  value: number;
  /** Drawn as a whisker past the bar (e.g. the p99 of a p50 bar). */
  whisker?: number;
  /** `kiln` bars and `floor` bars get different colours. */
  kind: "kiln" | "floor";
}

const ROW = 22;
const LABEL_WIDTH = 420;
const PLOT_WIDTH = 360;
const TOP = 34;
const COLORS = { kiln: "#d9480f", floor: "#868e96" };

const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function format(value: number): string {
  if (value >= 100) return Math.round(value).toLocaleString("en");
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** `log` scales the axis logarithmically, for rows spanning orders of magnitude. */
export function barChart(title: string, unit: string, bars: readonly Bar[], options: { log?: boolean } = {}): string {
  const max = Math.max(...bars.map((bar) => Math.max(bar.value, bar.whisker ?? 0)), Number.MIN_VALUE);
  const min = Math.min(...bars.map((bar) => bar.value).filter((value) => value > 0), max);
  const floorOfScale = options.log ? Math.max(min / 2, 1e-3) : 0;
  const scale = (value: number) => {
    if (value <= 0) return 0;
    if (!options.log) return (value / max) * PLOT_WIDTH;
    return (Math.log(value / floorOfScale) / Math.log(max / floorOfScale)) * PLOT_WIDTH;
  };
  const height = TOP + bars.length * ROW + 28;
  const rows = bars.map((bar, i) => {
    const y = TOP + i * ROW;
    const width = Math.max(1, scale(bar.value));
    const whisker =
      bar.whisker === undefined
        ? ""
        : `<line x1="${LABEL_WIDTH + width}" x2="${LABEL_WIDTH + scale(bar.whisker)}" y1="${y + 8}" y2="${y + 8}" stroke="#343a40" stroke-width="1.5"/>` +
          `<line x1="${LABEL_WIDTH + scale(bar.whisker)}" x2="${LABEL_WIDTH + scale(bar.whisker)}" y1="${y + 3}" y2="${y + 13}" stroke="#343a40" stroke-width="1.5"/>`;
    const text = bar.whisker === undefined ? format(bar.value) : `${format(bar.value)} (p99 ${format(bar.whisker)})`;
    return [
      `<text x="${LABEL_WIDTH - 8}" y="${y + 12}" text-anchor="end">${escape(bar.label)}</text>`,
      `<rect x="${LABEL_WIDTH}" y="${y + 2}" width="${width.toFixed(1)}" height="12" fill="${COLORS[bar.kind]}"/>`,
      whisker,
      `<text x="${LABEL_WIDTH + Math.max(width, bar.whisker === undefined ? 0 : scale(bar.whisker)) + 6}" y="${y + 12}">${escape(text)}</text>`,
    ].join("");
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${LABEL_WIDTH + PLOT_WIDTH + 170}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${escape(title)}</text>`,
    ...rows,
    `<text x="${LABEL_WIDTH}" y="${height - 8}" fill="#495057">${escape(unit)}${options.log ? " (log scale)" : ""}; orange: Kiln, grey: floor</text>`,
    `</svg>`,
    "",
  ].join("\n");
}
