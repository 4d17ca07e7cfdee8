/** `npm run doctor`: checks a server's Kiln resources against infra/kiln-resource-spec.ts. */
export { loadDoctorConfig, type DoctorConfig } from "./config.ts";
export { inspectServer, type DoctorReport } from "./inspect-server.ts";
export { reportText } from "./report-text.ts";
export type { Drift } from "./resource-drift.ts";
