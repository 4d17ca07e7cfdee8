/**
 * `npx tsx bench/sandbox.ts [rounds]`: the sandbox alone, without NATS — what a fresh sandbox costs
 * (activation replaying 0 steps on a new instance), a warm one, and one engine call (an activation of
 * 1,000 empty steps against an in-memory engine, divided by its calls), with the request read by a
 * bare `JSON.parse` and by the protocol's schema as the executor reads it. Prints medians.
 */
import { fileURLToPath } from "node:url";
import { SandboxPool } from "../executor/sandbox/sandbox-pool.ts";
import { parseEngineRequest, type EngineRequest } from "../contract/protocol.ts";
import { compiledWorkflow } from "../test/helpers/compiled-workflow.ts";
import { firstActivation, trivialEngine } from "../test/helpers/trivial-engine.ts";
import { percentile } from "./stats.ts";

const ROUNDS = Number(process.argv[2] ?? 20);
/** Between fresh samples, as between activations of a busy executor: spare workers may refill. */
const GAP_MS = Number(process.env.GAP_MS ?? 100);

const code = await compiledWorkflow(fileURLToPath(new URL("./workflow.ts", import.meta.url)));
const pool = new SandboxPool({ maxIdle: 4 });
let calls = 0;
const handlersParsingWith = (parse: (request: string) => EngineRequest) => ({
  call: async (request: string) => {
    calls++;
    return JSON.stringify(trivialEngine(parse(request)));
  },
  log: () => undefined,
});
const unchecked = handlersParsingWith((request) => JSON.parse(request) as EngineRequest);
const validated = handlersParsingWith(parseEngineRequest);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function activation(versionKey: string, steps: number, handlers = validated): Promise<number> {
  const started = performance.now();
  const sandbox = pool.acquire(versionKey, () => code);
  await sandbox.activate(firstActivation("bench", { steps }), handlers);
  const ms = performance.now() - started;
  pool.release(versionKey, sandbox);
  return ms;
}

const fresh: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  await sleep(GAP_MS);
  fresh.push(await activation(`fresh-${i}`, 0));
}
const warm: number[] = [];
await activation("warm", 0);
for (let i = 0; i < ROUNDS; i++) warm.push(await activation("warm", 0));
const perCall = { unchecked: [] as number[], validated: [] as number[] };
// Alternating, so both see the same machine state.
for (let i = 0; i < Math.max(3, ROUNDS / 4); i++) {
  for (const [name, handlers] of [
    ["unchecked", unchecked],
    ["validated", validated],
  ] as const) {
    calls = 0;
    const ms = await activation("warm", 1_000, handlers);
    perCall[name].push((ms * 1000) / calls);
  }
}
await pool.close();

const line = (label: string, unit: string, values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const [p50, p90] = [percentile(sorted, 0.5), percentile(sorted, 0.9)];
  console.log(`${label.padEnd(44)} p50 ${p50.toFixed(2).padStart(8)} ${unit}   p90 ${p90.toFixed(2).padStart(8)} ${unit}`);
};
line("fresh sandbox, activation replaying 0 steps", "ms", fresh);
line("warm sandbox, activation replaying 0 steps", "ms", warm);
line("engine call, JSON.parse only (1,000 steps)", "µs", perCall.unchecked);
line("engine call, schema-validated (1,000 steps)", "µs", perCall.validated);
