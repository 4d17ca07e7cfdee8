/**
 * Writes a run under `docs/bench/` (quick runs under `docs/bench/quick/`): `<runtime>.json` for
 * comparing runs, `<runtime>.md` with the table, SVG charts, and `README.md` comparing the runtimes
 * whose results are there.
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { central, type Figure, type Measured } from "./figures.ts";
import { barChart, type Bar } from "./svg-chart.ts";

export interface Machine {
  cores: number;
  cpu: string;
  memoryGiB: number;
  os: string;
  /** The Node that ran the bench itself (load generator, floors). */
  benchNode: string;
  /** The runtime the gateway and executors ran on. */
  runtime: string;
  natsServer: string;
}

export interface BenchRun {
  startedAt: string;
  quick: boolean;
  durationSeconds: number;
  machine: Machine;
  figures: Figure[];
}

/** The figures compared across runtimes in the index. */
const COMPARED = [
  "step-overhead",
  "activation-warm",
  "activation-fresh",
  "replay-1000",
  "create-to-complete",
  "throughput-100-x1",
  "cold-start",
  "terminate-in-step",
  "cpu-neighbour",
  "clients-32-separate",
  "clients-32-dev",
];

/** `node20`, `node24`, `deno2`: one results file per runtime major version. */
export function runtimeId(label: string): string {
  const match = /^(node|deno)\s+v?(\d+)/.exec(label);
  return match ? `${match[1]}${match[2]}` : label.replace(/[^a-z0-9]+/gi, "-");
}

/** The file name of a run's results: its runtime, and `-quick` for a quick run (smaller sizes). */
export function runFileId(run: Pick<BenchRun, "quick" | "machine">): string {
  return `${runtimeId(run.machine.runtime)}${run.quick ? "-quick" : ""}`;
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return "–";
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString("en");
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function cell(measured: Measured | undefined, part: "p50" | "p99"): string {
  if (!measured) return "";
  if (typeof measured.value === "number") return part === "p50" ? `${formatNumber(measured.value)} ${measured.unit}` : "";
  return `${formatNumber(measured.value[part])} ${measured.unit}`;
}

export function renderTable(run: BenchRun): string {
  const { machine } = run;
  const lines = [
    `# Kiln benchmark — ${machine.runtime}${run.quick ? " (quick run)" : ""}`,
    "",
    `${run.startedAt} · ${machine.cores} cores (${machine.cpu}) · ${machine.memoryGiB} GiB · ${machine.os} · services on ${machine.runtime} · bench on node ${machine.benchNode} · ${machine.natsServer} · ${Math.round(run.durationSeconds)} s`,
    "",
    "Kiln's figure beside the floor it is built on, measured in the same run. Latencies as median (p50) and p99; the ratio is Kiln's p50 over the floor's.",
    "",
    "| figure | Kiln p50 | Kiln p99 | floor p50 | ratio | target | met |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const f of run.figures) {
    const ratio = f.ratio === undefined ? "" : `${f.ratio.toFixed(2)}×`;
    const target = f.target ? f.target.text : "";
    const met = f.target ? (f.target.met ? "yes" : "**no**") : "";
    const title = f.note ? `${f.title} — ${f.note}` : f.title;
    lines.push(`| ${title} | ${cell(f.kiln, "p50")} | ${cell(f.kiln, "p99")} | ${cell(f.floor, "p50")} | ${ratio} | ${target} | ${met} |`);
  }
  return `${lines.join("\n")}\n`;
}

function latencyBars(figures: Figure[], ids: (id: string) => boolean): Bar[] {
  const bars: Bar[] = [];
  for (const f of figures.filter((f) => ids(f.id) && f.kiln.unit === "ms")) {
    const whisker = (m: Measured) => (typeof m.value === "number" ? undefined : m.value.p99);
    bars.push({ label: f.title.length > 60 ? `${f.title.slice(0, 57)}…` : f.title, value: central(f.kiln), whisker: whisker(f.kiln), kind: "kiln" });
    if (f.floor) bars.push({ label: `  floor: ${f.floor.label}`, value: central(f.floor), whisker: whisker(f.floor), kind: "floor" });
  }
  return bars;
}

export async function writeReport(run: BenchRun, outDir: string): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const id = runFileId(run);
  const written: Array<[string, string]> = [
    [`${id}.json`, `${JSON.stringify(run, null, 2)}\n`],
    [`${id}.md`, renderTable(run)],
    [
      `${id}-latency.svg`,
      barChart(
        `Kiln vs floor, p50 with p99 whisker (${run.machine.runtime})`,
        "milliseconds",
        latencyBars(
          run.figures,
          (fid) =>
            [
              "step-overhead",
              "activation-warm",
              "activation-fresh",
              "create-to-first-step",
              "create-to-complete",
              "cold-start",
              "sandbox-kill-and-replace",
              "watchdog-cost",
              "cpu-neighbour",
            ].includes(fid) ||
            fid.startsWith("replay-") ||
            fid.startsWith("terminate-"),
        ),
        { log: true },
      ),
    ],
    [
      `${id}-throughput.svg`,
      barChart(
        `Committed steps/s by concurrent instances (${run.machine.runtime})`,
        "steps per second",
        run.figures
          .filter((f) => f.id.startsWith("throughput-"))
          .map((f) => ({ label: f.id.replace("throughput-", "").replace("-x", " instances, executors: "), value: central(f.kiln), kind: "kiln" as const })),
      ),
    ],
  ];
  for (const [file, text] of written) await writeFile(join(outDir, file), text);
  const index = join(outDir, "README.md");
  await writeFile(index, (await renderIndex(outDir)) + (await keptNotes(index)));
  return [...written.map(([file]) => join(outDir, file)), join(outDir, "README.md")];
}

/** Findings written by hand below this line of an index survive the runs that rewrite the rest. */
const NOTES_MARKER = "<!-- notes: written by hand, kept by npm run bench -->";

async function keptNotes(index: string): Promise<string> {
  const existing = await readFile(index, "utf8").catch(() => "");
  const at = existing.indexOf(NOTES_MARKER);
  return at < 0 ? "" : `\n${existing.slice(at)}`;
}

/** The index: the newest run per runtime, and the activation and step figures side by side. */
async function renderIndex(outDir: string): Promise<string> {
  const runs: BenchRun[] = [];
  for (const file of (await readdir(outDir)).filter((name) => name.endsWith(".json")).sort()) {
    runs.push(JSON.parse(await readFile(join(outDir, file), "utf8")) as BenchRun);
  }
  const lines = [
    "# Kiln benchmark results",
    "",
    "Written by `npm run bench` (see the README's Benchmark section). One file set per runtime the services ran on:",
    "",
    ...runs.map((run) => {
      const id = runFileId(run);
      return `- [${run.machine.runtime}${run.quick ? " (quick)" : ""}](${id}.md) — ${run.startedAt}, ${run.machine.cores} cores, ${run.quick ? "quick run" : "full run"} ([latency chart](${id}-latency.svg), [throughput chart](${id}-throughput.svg), [raw JSON](${id}.json))`;
    }),
    "",
    "## Across runtimes (p50; throughput in steps/s)",
    "",
    "Quick runs use smaller sizes (fewer steps per instance, fewer samples): compare quick with quick.",
    "",
    `| figure | ${runs.map((run) => `${run.machine.runtime}${run.quick ? " (quick)" : ""}`).join(" | ")} |`,
    `| --- | ${runs.map(() => "---").join(" | ")} |`,
  ];
  for (const fid of COMPARED) {
    const titled = runs.flatMap((run) => run.figures).find((f) => f.id === fid);
    if (!titled) continue;
    const cells = runs.map((run) => {
      const f = run.figures.find((candidate) => candidate.id === fid);
      return f ? `${formatNumber(central(f.kiln))} ${f.kiln.unit}` : "–";
    });
    lines.push(`| ${titled.title} | ${cells.join(" | ")} |`);
  }
  return `${lines.join("\n")}\n`;
}
