/** `npm run gateway`: one gateway process against an existing NATS (`KILN_NATS_URL`). */
import { runService } from "../infra/service-main.ts";
import { loadGatewayConfig, startGateway } from "./mod.ts";

await runService("gateway", () => startGateway(loadGatewayConfig(process.env)));
