/**
 * The component's `activate` export: runs the tenant's workflow class for one activation and answers
 * with an `ActivationResult`. Nothing may escape as an exception — a component built without WASI traps
 * on an uncaught error and loses its message — so every failure becomes a result value.
 */
import { serializeError, type ActivationRequest, type ActivationResult } from "../contract/mod.ts";
import { installConsole, useConsoleGate } from "./console.ts";
import { RealDate, useTimeSource } from "./determinism.ts";
import { installFetch, useFetchGate } from "./fetch.ts";
import { isWorkflowClass } from "./mod.ts";
import { StepRecorder } from "./workflow-step.ts";

type WorkflowClass = new (ctx: unknown, env: unknown) => { run(event: unknown, step: unknown): unknown };

/** Finds the one exported `WorkflowEntrypoint` subclass, default or named. */
export function findWorkflowClass(tenantModule: Record<string, unknown>): WorkflowClass {
  const found = Object.entries(tenantModule).filter(([, value]) => isWorkflowClass(value));
  if (found.length === 0) {
    throw new Error("the module exports no class extending WorkflowEntrypoint; export one (default or named)");
  }
  if (found.length > 1) {
    const preferred = found.find(([name]) => name === "default");
    if (preferred) return preferred[1] as WorkflowClass;
    throw new Error(`the module exports several workflow classes (${found.map(([name]) => name).join(", ")}); export exactly one`);
  }
  return found[0]![1] as WorkflowClass;
}

function encodeOutput(output: unknown): ActivationResult {
  try {
    const json = JSON.stringify(output === undefined ? null : output);
    if (json === undefined) throw new TypeError("value has no JSON form");
    return { outcome: "complete", output: JSON.parse(json) };
  } catch (error) {
    // Out of memory (a bare string, not an Error: see workflow-step.ts) is the sandbox's limit, reported as such.
    if (!(error instanceof Error)) return { outcome: "errored", error: serializeError(error) };
    return {
      outcome: "errored",
      error: { name: "OutputError", message: `run() returned a value that is not JSON-serializable: ${error.message}` },
    };
  }
}

export function createActivate(tenantModule: Record<string, unknown>): (request: string) => Promise<string> {
  installConsole();
  installFetch();
  return async function activate(requestJson: string): Promise<string> {
    let result: ActivationResult;
    try {
      const request = JSON.parse(requestJson) as ActivationRequest;
      const Workflow = findWorkflowClass(tenantModule);
      const step = new StepRecorder(request);
      useTimeSource(step, request.seed);
      useConsoleGate(step);
      useFetchGate(step);
      const event = Object.freeze({
        payload: request.params,
        timestamp: new RealDate(request.createdAt),
        instanceId: request.instanceId,
        workflowName: request.workflow,
      });
      const run = (async () => new Workflow({}, request.env).run(event, step))().then(encodeOutput, (error: unknown) => ({
        outcome: "errored" as const,
        error: serializeError(error),
      }));
      const halted = step.halted.then((halt): ActivationResult =>
        halt.kind === "suspended" ? { outcome: "suspended" } : { outcome: "errored", error: serializeError(halt.error) },
      );
      result = await Promise.race([run, halted]);
    } catch (error) {
      result = { outcome: "errored", error: serializeError(error) };
    }
    return JSON.stringify(result);
  };
}
