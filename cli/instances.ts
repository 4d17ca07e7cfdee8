/** `kiln run` and `kiln instances …`: start, watch, inspect and steer instances. */
import type { InstanceHandle, InstanceStatus, InstanceView, KilnClient, StatusChange } from "../client/mod.ts";
import { UsageError } from "./errors.ts";
import { pretty, table, type Output } from "./output.ts";

export function parseJson(text: string | undefined, flag: string): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${flag} is not JSON (${(error as Error).message}): quote it, e.g. ${flag} '{"email":"ada@example.com"}'`);
  }
}

/** Follows the instance to its end, printing each status change and each newly finished step. */
async function watchToEnd(instance: InstanceHandle, out: Output): Promise<StatusChange> {
  const reported = new Set<string>();
  let last: StatusChange | undefined;
  for await (const change of instance.watch()) {
    if (change.status !== last?.status) out.progress(`${instance.id}: ${change.status}`);
    last = change;
    if (out.json) continue;
    // The stream carries statuses only; the steps come from the status view, read on each change.
    const view = await instance.status().catch(() => undefined);
    for (const step of view?.steps ?? []) {
      const key = `${step.name}#${step.count}:${step.status}`;
      if (reported.has(key) || step.status === "running") continue;
      reported.add(key);
      out.progress(
        `  ${step.status === "complete" ? "✓" : step.status === "failed" ? "✗" : "…"} ${step.name}${step.count > 1 ? ` #${step.count}` : ""} (${step.status})`,
      );
    }
  }
  if (!last) throw new Error(`the status stream of '${instance.id}' ended without a status`);
  return last;
}

const exitOf = (status: InstanceStatus) => (status === "complete" ? 0 : status === "errored" || status === "terminated" ? 1 : 0);

function describeEnd(change: StatusChange | InstanceView): string {
  if (change.status === "complete") return pretty(change.output ?? null);
  if (change.error) return `${change.status}: ${change.error.name}: ${change.error.message}`;
  return change.status;
}

export async function run(
  client: KilnClient,
  out: Output,
  workflow: string,
  options: { params?: string | undefined; id?: string | undefined; wait?: boolean | undefined },
): Promise<number> {
  const params = parseJson(options.params, "--params");
  const instance = await client.workflow(workflow).create({ ...(options.id ? { id: options.id } : {}), ...(params === undefined ? {} : { params }) });
  if (!options.wait) {
    out.result({ id: instance.id, version: instance.version }, `created ${workflow}/${instance.id} (version ${instance.version})`);
    return 0;
  }
  out.progress(`created ${workflow}/${instance.id} (version ${instance.version})`);
  const end = await watchToEnd(instance, out);
  if (out.json) out.result(end);
  else if (end.status === "complete") out.line(describeEnd(end));
  else process.stderr.write(`${describeEnd(end)}\n`);
  return exitOf(end.status);
}

function showInstance(view: InstanceView): string {
  const lines = [`${view.workflow}/${view.id}  ${view.status}  version ${view.version}`, `created ${view.createdAt}  updated ${view.updatedAt}`];
  if (view.suspended) lines.push(`suspended on ${view.suspended.kind} '${view.suspended.step}'${view.suspended.until ? ` until ${view.suspended.until}` : ""}`);
  if (view.steps.length > 0) {
    lines.push(
      "",
      table(
        ["STEP", "#", "TYPE", "STATUS", "ATTEMPTS", "COMPLETED"],
        view.steps.map((step) => [step.name, String(step.count), step.type, step.status, String(step.attempts), step.completedAt ?? ""]),
      ),
    );
  }
  if (view.output !== undefined) lines.push("", `output: ${pretty(view.output)}`);
  if (view.error) lines.push("", `error: ${view.error.name}: ${view.error.message}`);
  return lines.join("\n");
}

export interface InstanceFlags {
  status?: string | undefined;
  limit?: string | undefined;
  cursor?: string | undefined;
  "created-after"?: string | undefined;
  "created-before"?: string | undefined;
  follow?: boolean | undefined;
  payload?: string | undefined;
  from?: string | undefined;
  force?: boolean | undefined;
}

/** `from` as `name` or `name:count` (count from 1, default 1). */
function restartFrom(from: string | undefined): { name: string; count: number } | undefined {
  if (from === undefined) return undefined;
  const match = /^(.*?)(?::([1-9][0-9]*))?$/.exec(from)!;
  return { name: match[1]!, count: match[2] ? Number(match[2]) : 1 };
}

export async function instances(client: KilnClient, out: Output, action: string, args: string[], flags: InstanceFlags): Promise<number> {
  const [workflow, id, extra] = args;
  if (!workflow) throw new UsageError(`kiln instances ${action} needs the workflow`);
  if (action === "list") {
    const limit = flags.limit === undefined ? undefined : Number(flags.limit);
    if (limit !== undefined && !Number.isInteger(limit)) throw new UsageError(`--limit must be a whole number, got '${flags.limit}'`);
    const page = await client.workflow(workflow).list({
      ...(flags.status ? { status: flags.status as InstanceStatus } : {}),
      ...(limit === undefined ? {} : { limit }),
      ...(flags.cursor ? { cursor: flags.cursor } : {}),
      ...(flags["created-after"] ? { createdAfter: flags["created-after"] } : {}),
      ...(flags["created-before"] ? { createdBefore: flags["created-before"] } : {}),
    });
    const rows = page.instances.map((instance) => [instance.id, instance.status, instance.version, instance.createdAt, instance.updatedAt]);
    const more = page.cursor ? `\nmore: --cursor ${page.cursor}` : "";
    out.result(page, `${table(["ID", "STATUS", "VERSION", "CREATED", "UPDATED"], rows)}${more}`);
    return 0;
  }
  if (!id) throw new UsageError(`kiln instances ${action} needs the workflow and the instance id`);
  const instance = client.workflow(workflow).instance(id);
  switch (action) {
    case "show": {
      const view = await instance.status();
      out.result(view, showInstance(view));
      return 0;
    }
    case "logs": {
      for await (const line of instance.logs({ follow: flags.follow ?? false })) {
        out.result(line, `${new Date(line.ts).toISOString()} ${line.level.padEnd(5)} ${line.message}`);
      }
      return 0;
    }
    case "send-event": {
      if (!extra) throw new UsageError("kiln instances send-event needs the workflow, the instance id and the event type");
      const answer = await instance.sendEvent(extra, parseJson(flags.payload, "--payload") ?? null);
      out.result(answer, `sent ${extra} to ${workflow}/${id}`);
      return 0;
    }
    case "pause":
    case "resume":
    case "terminate":
    case "restart": {
      const from = restartFrom(flags.from);
      const answer = action === "restart" ? await instance.restart(from ? { from } : {}) : await instance[action]();
      out.result(answer, `${workflow}/${id}: ${answer.status}${answer.pending ? ` (${answer.pending} pending: applied at the next step boundary)` : ""}`);
      return 0;
    }
    case "delete": {
      await instance.delete({ force: flags.force ?? false });
      out.result({ id, deleted: true }, `deleted ${workflow}/${id}`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command 'kiln instances ${action}': see kiln instances --help`);
  }
}
