// The tenant workflow every Kiln figure of the benchmark runs, deployed like any tenant's code.
// `params` pick the shape: `steps` empty steps, optionally a sleep first and an event wait last;
// `spin` makes it a runaway instead, for the containment figures.
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "kiln:workflow";

export interface BenchParams {
  steps?: number;
  sleep?: string | number;
  waitFor?: string;
  /**
   * After a first step ("started"), loop on the CPU with nothing to await: inside a step body
   * (each attempt ended by `timeout`, then retried `retries` times at once) or between steps.
   */
  spin?: { where: "in-step" | "between-steps"; timeout?: string; retries?: number };
}

/** Only killing its sandbox ends it. */
function spin(): never {
  for (;;) {
    // burn
  }
}

export default class Bench extends WorkflowEntrypoint<Record<string, unknown>, BenchParams> {
  async run(event: WorkflowEvent<BenchParams>, step: WorkflowStep) {
    const params = event.payload ?? {};
    if (params.spin) {
      const { where, timeout = "10 minutes", retries = 0 } = params.spin;
      await step.do("started", async () => "spinning next");
      if (where === "between-steps") return spin();
      return step.do("spin", { timeout, retries: { limit: retries, delay: 10, backoff: "constant" } }, async () => spin());
    }
    let woke: number | undefined;
    if (params.sleep !== undefined) {
      await step.sleep("nap", params.sleep);
      woke = await step.do("woke", async () => Date.now());
    }
    for (let i = 0; i < (params.steps ?? 0); i++) await step.do("step", async () => i);
    if (params.waitFor) await step.waitForEvent("go", { type: params.waitFor, timeout: "1 hour" });
    return { steps: params.steps ?? 0, woke };
  }
}
