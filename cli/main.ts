/**
 * The `kiln` CLI: the tenant's side of the HTTP API through the one client (client/). Arguments are
 * parsed by Node's own `util.parseArgs`; exit codes are in errors.ts (0 ok, 1 failed, 2 usage).
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { createKilnClient, isKilnApiError, isKilnCompileError, type KilnClient, type TokenScope } from "../client/mod.ts";
import { configPath, resolveConfig, saveConfig } from "./config.ts";
import { deploy } from "./deploy.ts";
import { doctor } from "./doctor.ts";
import { ExitCode, UsageError } from "./errors.ts";
import { instances, run } from "./instances.ts";
import { createOutput, table, type Output } from "./output.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Options every command takes. */
const COMMON: Options = {
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  url: { type: "string" },
  token: { type: "string" },
  tenant: { type: "string" },
};

const COMMON_HELP = `Options of every command:
  --json              print one JSON document (JSON lines for logs -f) instead of text; errors as JSON on stderr
  --url, --token, --tenant
                      override KILN_URL, KILN_TOKEN, KILN_TENANT and what kiln login saved
  -h, --help          this help

Exit codes: 0 done (run --wait: the instance completed), 1 the API refused (its code is printed),
the gateway was unreachable, or the instance errored or was terminated; 2 a usage error.`;

interface Command {
  usage: string;
  summary: string;
  options?: Options;
  optionsHelp?: string;
  run(context: { client: () => Promise<KilnClient>; out: Output; args: string[]; values: Record<string, unknown> }): Promise<number>;
}

const INSTANCE_ACTIONS = ["list", "show", "logs", "send-event", "pause", "resume", "terminate", "restart", "delete"];

const COMMANDS: Record<string, Command> = {
  login: {
    usage: "kiln login --url URL --token TOKEN --tenant TENANT",
    summary: `check a token against the gateway and save it (${configPath()}, mode 0600)`,
    async run({ out, values }) {
      const { url, token, tenant } = values as { url?: string; token?: string; tenant?: string };
      if (!url || !token || !tenant) throw new UsageError("kiln login needs --url, --token and --tenant");
      const client = createKilnClient({ url, token, tenant });
      // Any answer but 401/404 proves the token belongs to the tenant: a token without `read` gets 403.
      await client.workflows.list().catch((error: unknown) => {
        if (!(isKilnApiError(error) && error.status === 403)) throw error;
      });
      await saveConfig({ url, token, tenant });
      out.result({ url, tenant, config: configPath() }, `logged in to ${url} as tenant ${tenant} (saved in ${configPath()})`);
      return 0;
    },
  },
  deploy: {
    usage: "kiln deploy <file|dir> [--name NAME] [--entry FILE]",
    summary: "deploy a .ts/.js module, a folder of modules, or a .wasm component",
    options: { name: { type: "string" }, entry: { type: "string" } },
    optionsHelp: `  --name NAME         the workflow's name (default: the file or folder name)
  --entry FILE        a folder's entry module (default: index.ts or index.js)`,
    async run({ client, out, args, values }) {
      const [target, ...rest] = args;
      if (!target || rest.length > 0) throw new UsageError("kiln deploy takes one file or folder");
      return deploy(await client(), out, target, values);
    },
  },
  run: {
    usage: "kiln run <workflow> [--params JSON] [--id ID] [--wait]",
    summary: "start an instance; with --wait, follow it live and print its output",
    options: { params: { type: "string" }, id: { type: "string" }, wait: { type: "boolean", short: "w" } },
    optionsHelp: `  --params JSON       the instance's params
  --id ID             the instance id (default: a random UUID)
  -w, --wait          follow the statuses and steps until the end, then print the output (exit 1 unless complete)`,
    async run({ client, out, args, values }) {
      const [workflow, ...rest] = args;
      if (!workflow || rest.length > 0) throw new UsageError("kiln run takes one workflow");
      return run(await client(), out, workflow, values);
    },
  },
  instances: {
    usage: `kiln instances list <workflow> [--status S] [--limit N] [--cursor C] [--created-after T] [--created-before T]
       kiln instances show <workflow> <id>
       kiln instances logs <workflow> <id> [-f]
       kiln instances send-event <workflow> <id> <type> [--payload JSON]
       kiln instances pause|resume|terminate <workflow> <id>
       kiln instances restart <workflow> <id> [--from STEP[:COUNT]]
       kiln instances delete <workflow> <id> [--force]`,
    summary: "list, inspect, follow and steer instances",
    options: {
      status: { type: "string" },
      limit: { type: "string" },
      cursor: { type: "string" },
      "created-after": { type: "string" },
      "created-before": { type: "string" },
      follow: { type: "boolean", short: "f" },
      payload: { type: "string" },
      from: { type: "string" },
      force: { type: "boolean" },
    },
    optionsHelp: `  --status S          queued, running, paused, waiting, sleeping, errored, terminated or complete
  --limit N           at most N (1 to 1000, default 50); --cursor C for the next page
  --created-after T, --created-before T   ISO 8601 time or epoch milliseconds
  -f, --follow        keep following new log lines
  --payload JSON      the event's payload (default null)
  --from STEP[:COUNT] restart from that step, keeping the ones before it
  --force             delete an instance that has not ended`,
    async run({ client, out, args, values }) {
      const [action, ...rest] = args;
      if (!action || !INSTANCE_ACTIONS.includes(action)) {
        throw new UsageError(action ? `unknown command 'kiln instances ${action}': use ${INSTANCE_ACTIONS.join(", ")}` : "kiln instances needs a command");
      }
      return instances(await client(), out, action, rest, values);
    },
  },
  tokens: {
    usage: `kiln tokens create <name> --scope SCOPE [--scope SCOPE…]
       kiln tokens list
       kiln tokens revoke <name>`,
    summary: "the tenant's named tokens (needs a token with the admin scope)",
    options: { scope: { type: "string", multiple: true } },
    optionsHelp: "  --scope SCOPE       deploy, run, read or admin; repeat for several",
    async run({ client, out, args, values }) {
      const [action, name] = args;
      const kiln = await client();
      if (action === "list" && !name) {
        const tokens = await kiln.tokens.list();
        const rows = tokens.map((token) => [token.name, token.scopes.join(","), token.createdAt, token.lastUsedAt ?? "never"]);
        out.result({ tokens }, table(["NAME", "SCOPES", "CREATED", "LAST USED"], rows));
        return 0;
      }
      if (action === "create" && name) {
        const scopes = (values["scope"] as string[] | undefined) ?? [];
        if (scopes.length === 0) throw new UsageError("kiln tokens create needs at least one --scope (deploy, run, read, admin)");
        const created = await kiln.tokens.create(name, scopes as TokenScope[]);
        out.result(created, `${created.token}\n(token '${name}' with ${created.scopes.join(", ")}: shown this once, keep it)`);
        return 0;
      }
      if (action === "revoke" && name) {
        await kiln.tokens.revoke(name);
        out.result({ name, revoked: true }, `revoked ${name}`);
        return 0;
      }
      throw new UsageError("use kiln tokens create <name> --scope S, kiln tokens list or kiln tokens revoke <name>");
    },
  },
  doctor: {
    usage: "kiln doctor",
    summary: "check the gateway and the token as logged in (exit 1 if either fails)",
    async run({ client, out, args }) {
      if (args.length > 0) throw new UsageError("kiln doctor takes no arguments");
      return doctor(await client(), out);
    },
  },
};

function commandHelp(command: Command): string {
  return `${command.summary}\n\nUsage: ${command.usage}\n${command.optionsHelp ? `\n${command.optionsHelp}\n` : ""}\n${COMMON_HELP}\n`;
}

function mainHelp(): string {
  const rows = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(12)}${command.summary}`);
  return `kiln: deploy and run durable workflows on a Kiln gateway\n\nUsage: kiln <command> [arguments] [options]\n\nCommands:\n${rows.join("\n")}\n\nkiln <command> --help shows a command's arguments and options.\n\n${COMMON_HELP}\n`;
}

/** Runs one command line; answers the exit code (never throws). */
export async function main(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
      process.stdout.write(mainHelp());
      return name === undefined ? ExitCode.usage : ExitCode.ok;
    }
    const command = COMMANDS[name];
    if (!command) throw new UsageError(`unknown command '${name}': use ${Object.keys(COMMANDS).join(", ")} (kiln --help)`);
    const { values, positionals } = parseArgs({ args: rest, options: { ...COMMON, ...command.options }, allowPositionals: true, strict: true });
    if (values["help"]) {
      process.stdout.write(commandHelp(command));
      return ExitCode.ok;
    }
    const out = createOutput(json);
    const flags = values as { url?: string; token?: string; tenant?: string };
    const client = async () => createKilnClient(await resolveConfig(flags));
    return await command.run({ client, out, args: positionals, values });
  } catch (error) {
    return report(error, json);
  }
}

function report(error: unknown, json: boolean): number {
  // parseArgs refuses unknown options and missing values with codes ERR_PARSE_ARGS_*.
  const usage = error instanceof UsageError || (error as { code?: unknown }).code?.toString().startsWith("ERR_PARSE_ARGS") === true;
  const message = error instanceof Error ? error.message : String(error);
  if (json) {
    const body = isKilnApiError(error)
      ? {
          status: error.status,
          code: error.code,
          message,
          ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
          ...(isKilnCompileError(error) ? { diagnostics: error.diagnostics } : {}),
        }
      : { code: usage ? "usage" : "failed", message };
    process.stderr.write(`${JSON.stringify({ error: body })}\n`);
  } else if (isKilnApiError(error)) {
    process.stderr.write(`error: ${message} (${error.code}, HTTP ${error.status})\n`);
  } else {
    process.stderr.write(`error: ${message}${usage ? "\n(kiln --help for usage)" : ""}\n`);
  }
  return usage ? ExitCode.usage : ExitCode.failed;
}
