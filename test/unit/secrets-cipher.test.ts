import { describe, expect, it } from "vitest";
import { createSecretsCipher, generateSecretsKey, parseSecretsKey, SecretsKeyError, SecretUnreadableError } from "../../infra/secrets-cipher.ts";

const HEX_KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

describe("KILN_SECRETS_KEY", () => {
  it("reads 64 hex characters, base64 and base64url of 32 bytes to the same key", () => {
    const bytes = parseSecretsKey(HEX_KEY);
    expect(bytes).toHaveLength(32);
    const base64 = btoa(String.fromCharCode(...bytes));
    expect(parseSecretsKey(base64)).toEqual(bytes);
    expect(parseSecretsKey(base64.replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_"))).toEqual(bytes);
    expect(parseSecretsKey(` ${HEX_KEY}\n`)).toEqual(bytes);
    expect(parseSecretsKey(generateSecretsKey())).toHaveLength(32);
  });

  it("refuses a missing or wrong-sized key with a message that says how to make one", () => {
    expect(() => parseSecretsKey(undefined)).toThrow(SecretsKeyError);
    expect(() => parseSecretsKey("")).toThrow(/KILN_SECRETS_KEY is not set: .*openssl rand -hex 32/);
    expect(() => parseSecretsKey(HEX_KEY.slice(2))).toThrow(/exactly 32 bytes, got 46 bytes/);
    expect(() => parseSecretsKey(btoa("too short"))).toThrow(/exactly 32 bytes, got 9 bytes/);
    expect(() => parseSecretsKey("not a key at all!")).toThrow(/neither hex nor base64/);
    expect(() => parseSecretsKey("abcde")).toThrow(SecretsKeyError);
  });
});

describe("secrets cipher", () => {
  it("seals with a fresh IV each time and opens to the original text", async () => {
    const cipher = await createSecretsCipher(parseSecretsKey(HEX_KEY));
    const value = "sk-live-🔑-0123456789";
    const first = await cipher.seal("acme", "API_KEY", value, 1_000);
    const second = await cipher.seal("acme", "API_KEY", value, 2_000);
    expect(first.iv).not.toBe(second.iv);
    expect(first.data).not.toBe(second.data);
    expect(JSON.stringify(first)).not.toContain("sk-live");
    expect(first.updatedAt).toBe(1_000);
    expect(await cipher.open("acme", "API_KEY", first)).toBe(value);
  });

  it("does not open a value moved to another tenant or name, tampered with, or sealed with another key", async () => {
    const cipher = await createSecretsCipher(parseSecretsKey(HEX_KEY));
    const sealed = await cipher.seal("acme", "API_KEY", "secret value");
    await expect(cipher.open("evil", "API_KEY", sealed)).rejects.toThrow(SecretUnreadableError);
    await expect(cipher.open("acme", "OTHER", sealed)).rejects.toThrow(/does not decrypt/);
    const flipped = atob(sealed.data);
    const tampered = { ...sealed, data: btoa(String.fromCharCode(flipped.charCodeAt(0) ^ 1) + flipped.slice(1)) };
    await expect(cipher.open("acme", "API_KEY", tampered)).rejects.toThrow(SecretUnreadableError);
    const other = await createSecretsCipher(parseSecretsKey(generateSecretsKey()));
    await expect(other.open("acme", "API_KEY", sealed)).rejects.toThrow(/sealed with another KILN_SECRETS_KEY/);
  });
});
