/** The shared body of `gateway/main.ts` and `executor/main.ts`: check the environment, start, stop on a signal. */
import { configureLogging, loadLogSettings, serviceLogger } from "./logger.ts";
import { currentRuntime } from "./runtime/mod.ts";
import { onShutdown } from "./shutdown.ts";

export async function runService(
  name: "gateway" | "executor",
  start: () => Promise<{ close(): Promise<void>; url?: string | undefined; id?: string }>,
): Promise<void> {
  let log = serviceLogger(name);
  try {
    configureLogging(loadLogSettings(process.env));
    log = serviceLogger(name);
  } catch (error) {
    log.fatal((error as Error).message);
    process.exit(1);
  }
  if (!process.env.KILN_NATS_URL) {
    log.fatal(
      "KILN_NATS_URL is not set: point it at a NATS server with JetStream (e.g. KILN_NATS_URL=nats://127.0.0.1:4222), or run `npm run dev`, which starts one.",
    );
    process.exit(1);
  }
  try {
    const service = await start();
    const who = service.id ? ` ${service.id}` : "";
    const where = service.url ? ` on ${service.url}` : "";
    const runtime = currentRuntime().description;
    const fields = { ...(service.id ? { executor: service.id } : {}), ...(service.url ? { url: service.url } : {}), runtime };
    // spawn-service.ts waits for this message (and reads the id and URL from it).
    log.info(fields, `kiln ${name}${who} running${where} (${runtime}, NATS ${process.env.KILN_NATS_URL})`);
    onShutdown(() => service.close(), { log: (line) => log.info(line) });
  } catch (error) {
    log.fatal({ err: error }, `kiln ${name} failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
