/** `npm run executor`: one executor process against `KILN_NATS_URL`; run more copies to scale. */
import { runService } from "../infra/service-main.ts";
import { loadExecutorConfig, startExecutor } from "./mod.ts";

await runService("executor", () => startExecutor(loadExecutorConfig(process.env)));
