/** The shared body of `gateway/main.ts` and `executor/main.ts`: check the environment, start, stop on a signal. */
import { onShutdown } from "./shutdown.ts";

export async function runService(name: string, start: () => Promise<{ close(): Promise<void>; url?: string }>): Promise<void> {
  if (!process.env.KILN_NATS_URL) {
    console.error(
      "KILN_NATS_URL is not set: point it at a NATS server with JetStream (e.g. KILN_NATS_URL=nats://127.0.0.1:4222), or run `npm run dev`, which starts one.",
    );
    process.exit(1);
  }
  try {
    const service = await start();
    const where = service.url ? ` on ${service.url}` : "";
    console.error(`kiln ${name} running${where} (NATS ${process.env.KILN_NATS_URL})`);
    onShutdown(() => service.close());
  } catch (error) {
    console.error(`kiln ${name} failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
