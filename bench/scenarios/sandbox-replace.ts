/**
 * Kill and replace a sandbox: a sandbox runs a guest spinning in a step body; kill it, and time until
 * a replacement sandbox of the same version has served an activation (replaying 0 steps). Beside it,
 * the same fresh sandbox's activation with nothing killed before it, so the ratio is what the kill
 * adds. Runs the executor's SandboxPool in the bench process (so on the bench's Node, whatever
 * `--runtime` the services run on), on the artifact Kiln compiled.
 */
import { parseEngineRequest } from "../../contract/protocol.ts";
import { SandboxPool } from "../../executor/sandbox/sandbox-pool.ts";
import { firstActivation, trivialEngine } from "../../test/helpers/trivial-engine.ts";
import type { BenchContext } from "../context.ts";
import { benchSandboxCode } from "../sandbox-code.ts";
import { figure, type Figure } from "../figures.ts";
import { summarize } from "../stats.ts";
import type { BenchParams } from "../workflow.ts";

/** Between samples, as between activations of a busy executor: the pool's spare workers refill. */
const GAP_MS = 100;
/** Once the spinning body has started: long enough that the guest is deep in its loop. */
const SPIN_BEFORE_KILL_MS = 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function measureSandboxReplace(context: BenchContext): Promise<Figure[]> {
  const { sizes, workflow, version } = context;
  const code = await benchSandboxCode(context);
  // As an executor's pool (KILN_SPARE_SANDBOX_WORKERS 2); no idle sandboxes, so every acquire is fresh.
  const pool = new SandboxPool({ maxIdle: 0, spareWorkers: 2 });
  const handlers = { call: async (request: string) => JSON.stringify(trivialEngine(parseEngineRequest(request))), log: () => undefined };
  /** A fresh sandbox serves one activation; the milliseconds from `since` until it did. */
  const serveOne = async (since: number): Promise<number> => {
    const sandbox = pool.acquire(version, () => code);
    await sandbox.activate(firstActivation(workflow, { steps: 0 } satisfies BenchParams), handlers);
    const ms = performance.now() - since;
    pool.release(version, sandbox); // no idle sandboxes kept: this stops its thread
    return ms;
  };

  const replaced: number[] = [];
  const fresh: number[] = [];
  try {
    for (let i = 0; i < sizes.sandboxReplaceSamples; i++) {
      await sleep(GAP_MS);
      const spinning = pool.acquire(version, () => code);
      const spinStarted = new Promise<void>((resolve) => {
        const params: BenchParams = { spin: { where: "in-step" } };
        spinning
          .activate(firstActivation(workflow, params), {
            ...handlers,
            call: async (raw) => {
              const request = parseEngineRequest(raw);
              if (request.op === "step" && request.name === "spin") setTimeout(resolve, SPIN_BEFORE_KILL_MS);
              return JSON.stringify(trivialEngine(request));
            },
          })
          .catch(() => undefined); // killed: that is the point
      });
      await spinStarted;
      const started = performance.now();
      await spinning.kill("bench: kill and replace");
      replaced.push(await serveOne(started));

      await sleep(GAP_MS);
      fresh.push(await serveOne(performance.now()));
    }
  } finally {
    await pool.close();
  }
  return [
    figure({
      id: "sandbox-kill-and-replace",
      title: "Kill a sandbox spinning in a step body → a replacement sandbox has served an activation",
      kiln: { label: "kill + replace", unit: "ms", value: summarize(replaced) },
      floor: { label: "fresh sandbox activation, nothing killed", unit: "ms", value: summarize(fresh) },
    }),
  ];
}
