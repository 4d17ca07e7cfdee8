// The tenant workflow every Kiln figure of the benchmark runs, deployed like any tenant's code.
// `params` pick the shape: `steps` empty steps, optionally a sleep first and an event wait last.
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "kiln:workflow";

export interface BenchParams {
  steps?: number;
  sleep?: string | number;
  waitFor?: string;
}

export default class Bench extends WorkflowEntrypoint<Record<string, unknown>, BenchParams> {
  async run(event: WorkflowEvent<BenchParams>, step: WorkflowStep) {
    const params = event.payload ?? {};
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
