/**
 * `kiln/client`: Kiln's HTTP API as typed calls. Web-standard APIs only (`fetch`, streams), so it
 * runs on Node, Deno and in browsers. The tests, the benchmark and the `kiln` CLI all use it.
 *
 *   const kiln = createKilnClient({ url: "http://localhost:8787", token, tenant: "acme" });
 *   await kiln.workflows.deploy("onboarding", source);
 *   const instance = await kiln.workflow("onboarding").create({ params: { email } });
 *   const output = await instance.result({ timeoutMs: 60_000 });
 */
export {
  createKilnClient,
  type CreateOptions,
  type Deployable,
  type DeployOptions,
  type KilnClient,
  type KilnClientOptions,
  type ListOptions,
  type WorkflowClient,
} from "./client.ts";
export type { InstanceHandle, LogsOptions, ResultOptions } from "./instance.ts";
export { apiError, createTransport, type RawAnswer, type RequestBody, type RequestOptions, type Transport, type TransportOptions } from "./http.ts";
export {
  isKilnApiError,
  isKilnCompileError,
  isKilnInstanceError,
  isKilnTimeoutError,
  KilnApiError,
  KilnCompileError,
  KilnInstanceError,
  KilnTimeoutError,
} from "./errors.ts";
export { readServerSentEvents, type ServerSentEvent } from "./sse.ts";
export type {
  BatchAnswer,
  CompileDiagnostic,
  CreatedInstance,
  CreatedToken,
  DeployAnswer,
  InstancePage,
  InstanceStatus,
  InstanceSummary,
  InstanceView,
  LifecycleAnswer,
  LogLine,
  SecretView,
  StatusChange,
  StepView,
  TokenScope,
  TokenView,
  WorkflowSummary,
  WorkflowView,
} from "../contract/mod.ts";
