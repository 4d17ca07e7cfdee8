import { describe, expect, it } from "vitest";
import { loadExecutorConfig } from "../../executor/config.ts";
import { loadGatewayConfig } from "../../gateway/config.ts";
import { loadDoctorConfig } from "../../infra/doctor/mod.ts";

const KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const base = { KILN_NATS_URL: "nats://127.0.0.1:4222", KILN_ADMIN_TOKEN: "admin-token-0123456789" };

describe("KILN_SECRETS_KEY in the services' config", () => {
  it("is required by the gateway and the executor, with a message that says how to make one", () => {
    expect(() => loadGatewayConfig(base)).toThrow(/KILN_SECRETS_KEY is not set: .*openssl rand -hex 32/);
    expect(() => loadExecutorConfig(base)).toThrow(/KILN_SECRETS_KEY is not set/);
    expect(() => loadExecutorConfig({ ...base, KILN_SECRETS_KEY: "short" })).toThrow(/KILN_SECRETS_KEY must be exactly 32 bytes/);
  });

  it("is read once into the resolved config as the key's bytes", () => {
    expect(loadGatewayConfig({ ...base, KILN_SECRETS_KEY: KEY }).secretsKey).toHaveLength(32);
    expect(loadExecutorConfig({ ...base, KILN_SECRETS_KEY: KEY }).secretsKey).toEqual(loadGatewayConfig({ ...base, KILN_SECRETS_KEY: KEY }).secretsKey);
  });
});

describe("the doctor's config", () => {
  it("expects the replicas and ack wait that services given the same environment create with", () => {
    for (const env of [{}, { KILN_REPLICAS: "3", KILN_WORK_ACK_WAIT_MS: "60000" }, { KILN_REPLICAS: "0" }]) {
      const full = { ...base, KILN_SECRETS_KEY: KEY, ...env };
      const doctor = loadDoctorConfig(full);
      for (const service of [loadGatewayConfig(full), loadExecutorConfig(full)]) {
        expect({ replicas: doctor.replicas, workAckWaitMs: doctor.workAckWaitMs }).toEqual({
          replicas: service.replicas,
          workAckWaitMs: service.workAckWaitMs,
        });
      }
    }
  });

  it("says how to point it at NATS when KILN_NATS_URL is missing, and refuses a bad number", () => {
    expect(() => loadDoctorConfig({})).toThrow(/KILN_NATS_URL is not set: .*npm run doctor/);
    expect(() => loadDoctorConfig({ KILN_NATS_URL: "nats://x:4222", KILN_REPLICAS: "three" })).toThrow(/KILN_REPLICAS must be a whole number ≥ 0, got 'three'/);
  });
});

describe("KILN_EXECUTOR_PORT", () => {
  it("serves no ops endpoints when unset or empty, any free port with 0, and refuses a non-number", () => {
    const env = { ...base, KILN_SECRETS_KEY: KEY };
    expect(loadExecutorConfig(env).port).toBeUndefined();
    expect(loadExecutorConfig({ ...env, KILN_EXECUTOR_PORT: "" }).port).toBeUndefined();
    expect(loadExecutorConfig({ ...env, KILN_EXECUTOR_PORT: "0" }).port).toBe(0);
    expect(loadExecutorConfig({ ...env, KILN_EXECUTOR_PORT: "9464" }).port).toBe(9464);
    expect(() => loadExecutorConfig({ ...env, KILN_EXECUTOR_PORT: "70000" })).toThrow("got '70000'");
    expect(() => loadExecutorConfig({ ...env, KILN_EXECUTOR_PORT: "metrics" })).toThrow("KILN_EXECUTOR_PORT must be a whole number ≥ 0, got 'metrics'");
  });
});
