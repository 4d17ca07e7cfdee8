/**
 * Tenant secrets at rest: AES-256-GCM through Web Crypto (`crypto.subtle`, the same on Node and Deno),
 * with the key from `KILN_SECRETS_KEY`. The gateway seals what a tenant PUTs; executors open it to
 * fill `this.env`. Nothing else ever sees a plaintext value, and `kiln_registry` holds only this:
 *
 *   { "v": 1, "kid": "<16 hex>", "iv": "<base64, 12 bytes>", "data": "<base64 ciphertext + tag>", "updatedAt": 1733… }
 *
 * The tenant and secret name are the GCM additional data, so a sealed value copied to another key
 * (`secret.<other-tenant>.<name>`) does not open. `kid` names the key that sealed it (a hash, not the
 * key), so a wrong `KILN_SECRETS_KEY` is reported as exactly that instead of as corrupt data.
 */
import { z } from "zod";
import { sha256Hex } from "./sha256.ts";

/** AES-256: 32 key bytes. */
export const SECRETS_KEY_BYTES = 32;
const IV_BYTES = 12;

/** A secret as stored in `kiln_registry` under `secret.<tenant>.<name>`. */
export const sealedSecretSchema = z
  .object({
    v: z.literal(1),
    kid: z.string(),
    iv: z.string(),
    data: z.string(),
    updatedAt: z.number(),
  })
  .strict();
export type SealedSecret = z.infer<typeof sealedSecretSchema>;

/** `KILN_SECRETS_KEY` is missing or malformed; the service refuses to start. */
export class SecretsKeyError extends Error {
  override name = "SecretsKeyError";
}

/** A sealed secret that does not open: another key sealed it, or the stored bytes are damaged. */
export class SecretUnreadableError extends Error {
  override name = "SecretUnreadableError";
}

const KEY_HELP = "set it to 32 random bytes as 64 hex characters (`openssl rand -hex 32`) or as base64 (`openssl rand -base64 32`)";

/**
 * Reads `KILN_SECRETS_KEY`: 64 hex characters, or base64 / base64url of 32 bytes. The same key must be
 * given to the gateway and every executor; losing it loses every stored secret.
 */
export function parseSecretsKey(raw: string | undefined, variable = "KILN_SECRETS_KEY"): Uint8Array {
  const text = raw?.trim() ?? "";
  if (text === "") throw new SecretsKeyError(`${variable} is not set: ${KEY_HELP}`);
  let bytes: Uint8Array | undefined;
  if (/^[0-9a-f]{64}$/i.test(text)) {
    bytes = Uint8Array.from(text.match(/../g)!, (pair) => parseInt(pair, 16));
  } else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    try {
      bytes = fromBase64(text);
    } catch {
      // Base64 of an impossible length: reported below like any other malformed key.
    }
  }
  if (bytes?.length !== SECRETS_KEY_BYTES) {
    const got = bytes ? `${bytes.length} bytes` : `${text.length} characters that are neither hex nor base64`;
    throw new SecretsKeyError(`${variable} must be exactly ${SECRETS_KEY_BYTES} bytes, got ${got}: ${KEY_HELP}`);
  }
  return bytes;
}

/** A fresh key in the hex form `parseSecretsKey` reads (for `npm run dev`). */
export function generateSecretsKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(SECRETS_KEY_BYTES)), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

export interface SecretsCipher {
  /** Encrypts `value` for `secret.<tenant>.<name>`. */
  seal(tenant: string, name: string, value: string, now?: number): Promise<SealedSecret>;
  /** Decrypts what `seal` produced for the same tenant and name; throws `SecretUnreadableError`. */
  open(tenant: string, name: string, sealed: SealedSecret): Promise<string>;
}

export async function createSecretsCipher(keyBytes: Uint8Array): Promise<SecretsCipher> {
  if (keyBytes.length !== SECRETS_KEY_BYTES) throw new SecretsKeyError(`a secrets key is ${SECRETS_KEY_BYTES} bytes, got ${keyBytes.length}`);
  // Not extractable: once imported, the key bytes cannot be read back out of the CryptoKey.
  const key = await crypto.subtle.importKey("raw", keyBytes as Uint8Array<ArrayBuffer>, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
  const kid = (await sha256Hex(concat(new TextEncoder().encode("kiln-secrets-key-id:"), keyBytes))).slice(0, 16);
  const additionalData = (tenant: string, name: string) => new TextEncoder().encode(`${tenant}.${name}`);

  return {
    async seal(tenant, name, value, now = Date.now()) {
      const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: additionalData(tenant, name) }, key, new TextEncoder().encode(value));
      return { v: 1, kid, iv: toBase64(iv), data: toBase64(new Uint8Array(data)), updatedAt: now };
    },
    async open(tenant, name, sealed) {
      if (sealed.kid !== kid) {
        throw new SecretUnreadableError(
          `secret '${name}' of tenant '${tenant}' was sealed with another KILN_SECRETS_KEY (key id ${sealed.kid}, this service has ${kid}); give every service the same key, or set the secret again`,
        );
      }
      try {
        const plain = await crypto.subtle.decrypt(
          { name: "AES-GCM", iv: fromBase64(sealed.iv) as Uint8Array<ArrayBuffer>, additionalData: additionalData(tenant, name) },
          key,
          fromBase64(sealed.data) as Uint8Array<ArrayBuffer>,
        );
        return new TextDecoder().decode(plain);
      } catch (error) {
        throw new SecretUnreadableError(`secret '${name}' of tenant '${tenant}' does not decrypt (damaged or moved); set it again`, { cause: error });
      }
    },
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Standard or URL-safe base64, padded or not. */
function fromBase64(text: string): Uint8Array {
  const standard = text.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  const binary = atob(standard + "=".repeat((4 - (standard.length % 4)) % 4));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}
