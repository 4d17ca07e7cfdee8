/** `npm run gateway`: one gateway process against an existing NATS (`KILN_NATS_URL`). */
import { onShutdown } from "../infra/shutdown.ts";
import { loadGatewayConfig, startGateway } from "./mod.ts";

if (!process.env.KILN_NATS_URL) {
  console.error(
    "KILN_NATS_URL is not set: point it at a NATS server with JetStream (e.g. KILN_NATS_URL=nats://127.0.0.1:4222), or run `npm run dev`, which starts one.",
  );
  process.exit(1);
}

try {
  const gateway = await startGateway(loadGatewayConfig(process.env));
  console.error(`kiln gateway listening on ${gateway.url} (NATS ${process.env.KILN_NATS_URL})`);
  onShutdown(() => gateway.close());
} catch (error) {
  console.error(`kiln gateway failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
