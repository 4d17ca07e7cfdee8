// Type-aware linting (typescript-eslint's recommended type-checked rules) over every .ts, .js and .mjs
// file tsconfig.json type-checks. What it is here for above all: promises nobody awaits or handles.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  { ignores: ["docs/bench/", "dist/", "coverage/", ".kiln/"] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // The reason this linter exists: a promise nobody awaits loses its errors and its ordering.
      // Where fire-and-forget is meant, say so with `void`.
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      // tsc checks every linted file (checkJs too), so it already reports undefined names, and knows
      // Node's and the DOM's globals, which this rule would need listed by hand.
      "no-undef": "off",
      // tsc's noUnusedLocals / noUnusedParameters report the same, with the conventions the code uses
      // (a `_`-prefixed or rest-sibling binding to leave a property out of a copy).
      "@typescript-eslint/no-unused-vars": "off",
      // An `async` function without `await` is how this code implements Promise-returning interfaces
      // and turns a synchronous throw into a rejection (sdk/activate.ts); the SDK's step bodies are
      // `async` by contract, as tenants write them.
      "@typescript-eslint/require-await": "off",
      // Passing on a caught `unknown` as a rejection is not inventing a non-Error reason.
      "@typescript-eslint/prefer-promise-reject-errors": ["error", { allowThrowingUnknown: true }],
    },
  },
  {
    files: ["test/**"],
    rules: {
      // Tests read JSON bodies (JSON.parse, the harness's HTTP client) and check them with `expect`,
      // whose asymmetric matchers (`expect.stringContaining`) are typed `any` themselves; the
      // assertion is the check, and casts before every `expect` would add noise, not safety.
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    rules: {
      // JavaScript narrows an `any` with a JSDoc cast, `/** @type {T} */ (value)`, which tsc honours but
      // typescript-eslint cannot see (typescript-eslint#4824, "working as intended"), so the rule
      // would flag every cast. tsc still checks what the cast value is used for.
      "@typescript-eslint/no-unsafe-assignment": "off",
    },
  },
  {
    // Written as a Cloudflare user writes it (value imports of types), so tsconfig.json leaves it out
    // and there is no type information for it: lint it with the rules that need none.
    files: ["test/fixtures/cloudflare-workflow.ts"],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
