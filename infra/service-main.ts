/** The shared body of `gateway/main.ts` and `executor/main.ts`: check the environment, start, stop on a signal. */
import { currentRuntime } from "./runtime/mod.ts";
import { onShutdown } from "./shutdown.ts";

export async function runService(name: string, start: () => Promise<{ close(): Promise<void>; url?: string; id?: string }>): Promise<void> {
  if (!process.env.KILN_NATS_URL) {
    console.error(
      "KILN_NATS_URL is not set: point it at a NATS server with JetStream (e.g. KILN_NATS_URL=nats://127.0.0.1:4222), or run `npm run dev`, which starts one.",
    );
    process.exit(1);
  }
  try {
    const service = await start();
    const who = service.id ? ` ${service.id}` : "";
    const where = service.url ? ` on ${service.url}` : "";
    // spawn-service.ts waits for this line (and reads the id and URL from it).
    console.error(`kiln ${name}${who} running${where} (${currentRuntime().description}, NATS ${process.env.KILN_NATS_URL})`);
    onShutdown(() => service.close());
  } catch (error) {
    console.error(`kiln ${name} failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
