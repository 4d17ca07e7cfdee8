/** `npm run executor`: one executor process against `KILN_NATS_URL`; run more copies to scale. */
import { onShutdown } from "../infra/shutdown.ts";
import { loadExecutorConfig, startExecutor } from "./mod.ts";

if (!process.env.KILN_NATS_URL) {
  console.error(
    "KILN_NATS_URL is not set: point it at a NATS server with JetStream (e.g. KILN_NATS_URL=nats://127.0.0.1:4222), or run `npm run dev`, which starts one.",
  );
  process.exit(1);
}

try {
  const executor = await startExecutor(loadExecutorConfig(process.env));
  console.error(`kiln executor running (NATS ${process.env.KILN_NATS_URL})`);
  onShutdown(() => executor.close());
} catch (error) {
  console.error(`kiln executor failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
