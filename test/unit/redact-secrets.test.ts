import { describe, expect, it } from "vitest";
import { redactError, redactSecrets, secretRedactor } from "../../executor/redact-secrets.ts";

describe("redactSecrets", () => {
  it("replaces every occurrence of every secret value with ***", () => {
    expect(redactSecrets("key=sk-123456 again sk-123456, token abcd", ["sk-123456", "abcd"])).toBe("key=*** again ***, token ***");
  });

  it("replaces a secret that contains another one whole", () => {
    expect(redactSecrets("pass hunter2hunter2", ["hunter2", "hunter2hunter2"])).toBe("pass ***");
  });

  it("leaves values shorter than 4 characters alone, so short values do not mangle every line", () => {
    expect(redactSecrets("region eu, flag 1, on yes", ["eu", "1", "yes", ""])).toBe("region eu, flag 1, on yes");
    expect(redactSecrets("pin 1234", ["1234"])).toBe("pin ***");
  });

  it("treats secret values as text, not patterns", () => {
    expect(redactSecrets("a.*b and a.*b", ["a.*b"])).toBe("*** and ***");
    expect(redactSecrets("price $1.00 (USD)", ["$1.00 (USD)"])).toBe("price ***");
  });

  it("changes nothing without secrets", () => {
    expect(redactSecrets("plain line", [])).toBe("plain line");
    expect(secretRedactor({})("plain line")).toBe("plain line");
  });
});

describe("redactError", () => {
  it("redacts the message and the stack, and keeps the error untouched when there is nothing to hide", () => {
    const redact = secretRedactor({ API_KEY: "sk-live-99" });
    const error = { name: "Error", message: "refused sk-live-99", stack: "Error: refused sk-live-99\n    at run (index.ts:3:9)" };
    expect(redactError(error, redact)).toEqual({ name: "Error", message: "refused ***", stack: "Error: refused ***\n    at run (index.ts:3:9)" });
    const clean = { name: "Error", message: "nothing here" };
    expect(redactError(clean, redact)).toBe(clean);
  });
});
