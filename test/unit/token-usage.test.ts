/** `lastUsedAt` stays cheap: a gateway writes a token's use at most once per interval, never per request. */
import { describe, expect, it } from "vitest";
import type { TokenGrant, TokenStore } from "../../gateway/token-store.ts";
import { TOKEN_USE_RECORD_INTERVAL_MS, TokenUsage } from "../../gateway/token-usage.ts";

const grant: TokenGrant = { tenant: "acme", name: "ci", scopes: ["read"] };

/** Records the writes `TokenUsage` asks for; the only store method it calls. */
function fakeStore() {
  const writes: [string, number][] = [];
  const store = { recordUse: async (_: TokenGrant, hash: string, atMs: number) => void writes.push([hash, atMs]) };
  return { writes, store: store as unknown as TokenStore };
}

describe("token usage", () => {
  it("writes the first use at once, then at most once per interval per token", () => {
    const { writes, store } = fakeStore();
    const usage = new TokenUsage(store, () => undefined);
    const start = 1_000_000;
    for (let ms = 0; ms < TOKEN_USE_RECORD_INTERVAL_MS; ms += 1_000) usage.used(grant, "hash-a", start + ms);
    usage.used(grant, "hash-b", start + 5);
    usage.used(grant, "hash-a", start + TOKEN_USE_RECORD_INTERVAL_MS);
    expect(writes).toEqual([
      ["hash-a", start],
      ["hash-b", start + 5],
      ["hash-a", start + TOKEN_USE_RECORD_INTERVAL_MS],
    ]);
  });

  it("reports a failed write instead of throwing into the request", async () => {
    const warnings: string[] = [];
    const store = { recordUse: () => Promise.reject(new Error("NATS is down")) } as unknown as TokenStore;
    new TokenUsage(store, (message) => warnings.push(message)).used(grant, "hash-a", 1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings).toEqual(["could not record the use of token 'ci' of tenant 'acme': Error: NATS is down"]);
  });
});
