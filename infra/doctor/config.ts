/** What the doctor expects, read once from the same environment the services read. */
export interface DoctorConfig {
  /** `KILN_NATS_URL`: one URL or a comma-separated list. */
  readonly natsUrl: string;
  /** `KILN_REPLICAS`: the replicas every stream, bucket and object store should have. @default 1 */
  readonly replicas: number;
  /** `KILN_WORK_ACK_WAIT_MS`: the `ack_wait` of every tenant's work consumer. @default 30_000 */
  readonly workAckWaitMs: number;
}

export function loadDoctorConfig(env: Record<string, string | undefined>): DoctorConfig {
  const natsUrl = env.KILN_NATS_URL;
  if (!natsUrl) {
    throw new Error("KILN_NATS_URL is not set: point it at the NATS server(s) your services use, e.g. KILN_NATS_URL=nats://127.0.0.1:4222 npm run doctor");
  }
  // Read as the gateway and the executors read them (gateway/config.ts, executor/config.ts), so the
  // doctor expects exactly what services given the same environment create.
  const number = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number ≥ 0, got '${raw}': use the value your services run with`);
    return value;
  };
  return { natsUrl, replicas: number("KILN_REPLICAS", 1) || 1, workAckWaitMs: number("KILN_WORK_ACK_WAIT_MS", 30_000) };
}
