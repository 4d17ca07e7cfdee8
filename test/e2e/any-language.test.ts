/**
 * "Any language against the WIT world", shown rather than claimed: components written by hand in
 * WebAssembly text (no SDK, no componentize-js) are deployed as `application/wasm` and run by the real
 * gateway and executor. A well-behaved one runs a step and completes; a forged one is stopped with a
 * protocol error while the executor goes on serving; components outside the world are refused at deploy.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stepKey } from "../../contract/mod.ts";
import { startKiln, type TenantClient, type TestKiln } from "../helpers/kiln.ts";
import { componentFromWat, scriptedGuestWat } from "../helpers/wat-component.ts";

const GREET = { op: "step", seq: 0, key: stepKey("greet", 1), name: "greet", timeoutMs: 60_000, retries: { limit: 0, delayMs: 1_000, backoff: "constant" } };
const COMMIT = { op: "commit", seq: 0, key: stepKey("greet", 1), name: "greet", result: JSON.stringify({ greeting: "hello from WAT" }), attempt: 1 };
const OUTPUT = { language: "WebAssembly text", greeting: "hello from WAT" };

/** A guest that runs step "greet" and completes with `OUTPUT`, as the activation protocol says. */
const wellBehaved = () =>
  componentFromWat(
    scriptedGuestWat({
      log: "hand-written guest starting",
      calls: [JSON.stringify(GREET), JSON.stringify(COMMIT)],
      result: JSON.stringify({ outcome: "complete", output: OUTPUT }),
    }),
  );

/** A guest that sends `call` to the engine (if any) and then answers `result`, by default that it completed. */
const forging = (call: string | undefined, result = '{"outcome":"complete","output":"forged"}') =>
  componentFromWat(scriptedGuestWat({ calls: call === undefined ? [] : [call], result }));

const terminal = (view: { status: string }) => ["complete", "errored", "terminated"].includes(view.status);

describe("a component not made by componentize-js", () => {
  let kiln: TestKiln;
  let tenant: TenantClient;

  beforeAll(async () => {
    kiln = await startKiln();
    tenant = await kiln.tenant("polyglot");
  }, 60_000);
  afterAll(async () => kiln?.close());

  it("deploys as application/wasm and runs a real workflow: its step is journaled and it completes", async () => {
    const deployed = await tenant.deploy("wat", await wellBehaved(), "application/wasm");
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(201);
    expect(deployed.body.capabilities).toEqual(["logging", "engine"]);
    const { id } = await tenant.create("wat", { params: { who: "anyone" } });
    const view = await tenant.waitFor("wat", id, terminal);
    expect(view.status, JSON.stringify(view.error)).toBe("complete");
    expect(view.output).toEqual(OUTPUT);
    expect(view.steps).toEqual([
      expect.objectContaining({ name: "greet", type: "do", status: "complete", attempts: 1, output: { greeting: "hello from WAT" } }),
    ]);
    const logs = await tenant.logs("wat", id);
    expect(logs).toContainEqual(expect.objectContaining({ message: "hand-written guest starting", source: "tenant" }));
  });

  it.each([
    ["text that is not JSON", "not json", "it is not JSON"],
    ["an op outside the protocol", '{"op":"steal","tenant":"other"}', "'op': expected one of step"],
    ["a step key that is not one", JSON.stringify({ ...GREET, key: "x.y.z" }), "'key': expected a step key"],
    ["a commit of a step that never ran", JSON.stringify(COMMIT), "which the engine did not start; no step is running"],
    ["an activate result outside the protocol", undefined, "'outcome': expected one of complete, errored, suspended", '{"outcome":"done"}'],
    ["a suspension the engine never asked for", undefined, "no engine.call answer asked it to suspend", '{"outcome":"suspended"}'],
  ])("errors an instance whose component forges %s, and the executor keeps serving", async (_, call, problem, result?: string) => {
    const workflow = `forged-${Math.random().toString(36).slice(2, 8)}`;
    const deployed = await tenant.deploy(workflow, await forging(call, result), "application/wasm");
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(201);
    const { id } = await tenant.create(workflow);
    const view = await tenant.waitFor(workflow, id, terminal);
    expect(view.status).toBe("errored");
    expect(view.output).toBeUndefined();
    expect(view.steps).toEqual([]);
    expect(view.error).toMatchObject({ name: "ProtocolError", code: "protocol_violation" });
    expect(view.error.message).toMatch(/^the component sent an invalid (engine\.call request|activate result)/);
    expect(view.error.message).toContain(problem);

    const good = await tenant.create("wat");
    expect((await tenant.waitFor("wat", good.id, terminal)).status).toBe("complete");
  });

  /** A component of a world other than kiln:workflow, with a core module that fills it trivially. */
  const foreign = (wit: string, world: string, imports: string, exports: string) =>
    componentFromWat(
      `(module ${imports}
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 0))
  ${exports})`,
      { wit, world },
    );
  const refusals = (body: { errors: { message: string }[] }) => body.errors.map((error) => error.message);

  it("refuses at deploy a component importing wasi:filesystem, naming the import", async () => {
    const component = await foreign(
      `package wasi:filesystem@0.2.0;
interface types { read: func(path: string) -> string; }
world reach { import types; export activate: func(request: string) -> string; }`,
      "reach",
      `(import "wasi:filesystem/types@0.2.0" "read" (func (param i32 i32 i32)))`,
      `(func (export "activate") (param i32 i32) (result i32) (i32.const 0))`,
    );
    const deployed = await tenant.deploy("reach", component, "application/wasm");
    expect(deployed.status).toBe(422);
    expect(refusals(deployed.body)).toEqual(["the component imports 'wasi:filesystem/types@0.2.0', which the kiln:workflow@0.2.0 world does not grant"]);
  });

  it("refuses at deploy a component exporting more than activate, or not activate, naming the export", async () => {
    const extra = await foreign(
      `package test:extra;
world extra { export activate: func(request: string) -> string; export steal: func() -> u32; }`,
      "extra",
      "",
      `(func (export "activate") (param i32 i32) (result i32) (i32.const 0))
  (func (export "steal") (result i32) (i32.const 7))`,
    );
    const deployed = await tenant.deploy("extra", extra, "application/wasm");
    expect(deployed.status).toBe(422);
    expect(refusals(deployed.body)).toEqual([
      "the component exports 'steal: func() -> u32', which the kiln:workflow@0.2.0 world does not define; it exports only 'activate: func(request: string) -> string'",
    ]);

    const headless = await foreign(
      `package test:headless;
world headless { export run: func() -> u32; }`,
      "headless",
      "",
      `(func (export "run") (result i32) (i32.const 7))`,
    );
    const refused = await tenant.deploy("headless", headless, "application/wasm");
    expect(refused.status).toBe(422);
    expect(refusals(refused.body)).toEqual([
      "the component exports 'run: func() -> u32', which the kiln:workflow@0.2.0 world does not define; it exports only 'activate: func(request: string) -> string'",
      "the component does not export 'activate: func(request: string) -> string'; target world 'workflow' of kiln:workflow@0.2.0",
    ]);
  });
});
