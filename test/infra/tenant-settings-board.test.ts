import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { expect, it } from "vitest";
import { DEFAULT_LIMITS, Keys } from "../../contract/mod.ts";
import { TenantSettingsBoard } from "../../executor/tenant-settings.ts";
import { encodeJson } from "../../infra/json-codec.ts";
import { createSecretsCipher, generateSecretsKey, parseSecretsKey } from "../../infra/secrets-cipher.ts";
import { startTestNats } from "../helpers/nats.ts";

it("loads stored settings and secrets before it opens, then follows changes live", async () => {
  await using nats = await startTestNats();
  const nc = await nats.connect();
  const registry = await new Kvm(jetstream(nc)).create("board_test", { history: 1 });
  const cipher = await createSecretsCipher(parseSecretsKey(generateSecretsKey()));
  await registry.put(Keys.tenantSettings("acme"), encodeJson({ env: { vars: { REGION: "eu" } }, limits: { stepTimeoutMaxMs: 5_000 } }));
  await registry.put(Keys.secret("acme", "API_KEY"), encodeJson(await cipher.seal("acme", "API_KEY", "sk-live-1")));
  const warnings: string[] = [];
  const board = await TenantSettingsBoard.open({ registry, cipher, warn: (message) => warnings.push(message) });
  try {
    expect(board.settings("acme").envVars).toEqual({ REGION: "eu" });
    expect(board.settings("acme").limits.stepTimeoutMaxMs).toBe(5_000);
    expect(board.secrets("acme")).toEqual({ API_KEY: "sk-live-1" });
    expect(board.settings("other").limits).toEqual(DEFAULT_LIMITS);
    expect(board.secrets("other")).toEqual({});

    await registry.put(Keys.tenantSettings("acme"), encodeJson({ env: { vars: { REGION: "us" } } }));
    await registry.put(Keys.secret("acme", "OTHER"), encodeJson(await cipher.seal("acme", "OTHER", "two")));
    await registry.delete(Keys.secret("acme", "API_KEY"));
    await expect.poll(() => board.settings("acme").envVars, { timeout: 1_000 }).toEqual({ REGION: "us" });
    await expect.poll(() => board.secrets("acme"), { timeout: 1_000 }).toEqual({ OTHER: "two" });

    // A value sealed for another tenant's key does not open under this one: ignored, with a warning.
    await registry.put(Keys.secret("evil", "API_KEY"), encodeJson(await cipher.seal("acme", "API_KEY", "stolen")));
    await expect.poll(() => warnings.length, { timeout: 1_000 }).toBe(1);
    expect(board.secrets("evil")).toEqual({});
  } finally {
    board.close();
  }
});
