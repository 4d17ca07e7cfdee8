/**
 * Tenant tokens on the wire: their scopes, the create request and the answers. A token is shown once,
 * when it is created; Kiln keeps only its SHA-256 hash.
 */
import { z } from "zod";
import { TOKEN_NAME } from "./names.ts";

/**
 * What a tenant token may do; scopes do not imply each other (a CI token that deploys and then reads
 * what it deployed gets `["deploy", "read"]`):
 * - `deploy`: deploy workflows; set, list and delete secrets.
 * - `run`: create instances, send events, pause, resume, terminate, restart and delete them.
 * - `read`: list workflows and instances; read status, steps and logs.
 * - `admin`: create, list and revoke the tenant's tokens.
 */
export const TOKEN_SCOPES = ["deploy", "run", "read", "admin"] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** The token `POST /v1/tenants` returns: it holds every scope, so a new tenant can do everything at once. */
export const FIRST_TOKEN_NAME = "default";

export const createTokenRequestSchema = z
  .object({
    name: z.string().regex(TOKEN_NAME, "token names are lowercase letters, digits and '-', up to 63 characters"),
    scopes: z.array(z.enum(TOKEN_SCOPES, { error: `scopes are ${TOKEN_SCOPES.join(", ")}` })).min(1, `give at least one scope: ${TOKEN_SCOPES.join(", ")}`),
  })
  .strict();

/** A token as listed: never the token or its hash. Times are ISO 8601; `lastUsedAt` is null until first use. */
export interface TokenView {
  name: string;
  scopes: TokenScope[];
  createdAt: string;
  lastUsedAt: string | null;
}

/** The answer to `POST /v1/tenants/:t/tokens`, the only one that carries the token. */
export interface CreatedToken {
  name: string;
  scopes: TokenScope[];
  token: string;
  createdAt: string;
}

/** Scopes as stored and shown: each once, in `TOKEN_SCOPES` order. */
export const normalizeScopes = (scopes: readonly TokenScope[]): TokenScope[] => TOKEN_SCOPES.filter((scope) => scopes.includes(scope));
