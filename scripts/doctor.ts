/**
 * `npm run doctor [-- --json]`: checks that every stream, KV bucket, object store and work consumer on
 * `KILN_NATS_URL` has the settings Kiln expects (`KILN_REPLICAS`, `KILN_WORK_ACK_WAIT_MS`) and prints
 * what drifted with how to fix it. Exit code 0: healthy; 1: drifted; 2: could not check.
 */
import { connect } from "@nats-io/transport-node";
import { inspectServer, loadDoctorConfig, reportText, type DoctorConfig } from "../infra/doctor/mod.ts";
import { kilnResourceSpec } from "../infra/kiln-resource-spec.ts";
import { natsServers } from "../infra/nats-connection.ts";

const args = process.argv.slice(2);
const json = args.includes("--json");

function fail(message: string): void {
  if (json) console.log(JSON.stringify({ healthy: false, error: message }, null, 2));
  else console.error(`kiln doctor: ${message}`);
  process.exitCode = 2;
}

async function main(): Promise<void> {
  const unknown = args.filter((arg) => arg !== "--json");
  if (unknown.length > 0) return fail(`unknown argument '${unknown[0]}': the only option is --json`);
  let config: DoctorConfig;
  try {
    config = loadDoctorConfig(process.env);
  } catch (error) {
    return fail((error as Error).message);
  }
  const nc = await connect({ servers: natsServers(config.natsUrl), name: "kiln-doctor", noAsyncTraces: true }).catch((error: unknown) => {
    fail(`cannot reach NATS at ${config.natsUrl} (${(error as Error).message}): check KILN_NATS_URL and that the server is up`);
  });
  if (!nc) return;
  try {
    const report = await inspectServer(nc, kilnResourceSpec(config));
    if (json) console.log(JSON.stringify({ natsUrl: config.natsUrl, replicas: config.replicas, ...report }, null, 2));
    else console.log(reportText(report, config));
    process.exitCode = report.healthy ? 0 : 1;
  } catch (error) {
    fail(`checking ${config.natsUrl} failed (${(error as Error).message}): is JetStream enabled on it (\`jetstream {}\` in its config)?`);
  } finally {
    await nc.close();
  }
}

await main();
