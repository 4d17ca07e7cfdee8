/** The shapes the OpenAPI builder reads and writes. */
import type { z } from "zod";

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses) written by hand, for bodies no zod schema checks. */
export interface HandSchema {
  readonly schema: Record<string, unknown>;
}

/** One route's description beside its registration. */
export interface OperationDeclaration {
  readonly summary: string;
  /** Groups operations in viewers. */
  readonly tag: string;
  /** Answers without a bearer token. @default false */
  readonly public?: boolean;
  /** Query parameter → its description; all optional strings. */
  readonly query?: Readonly<Record<string, string>>;
  /** Content type → the zod schema the handler validates with, or a hand-written schema. */
  readonly body?: Readonly<Record<string, z.ZodType | HandSchema>>;
  /** Success and route-specific statuses → description; the errors every route shares are added. */
  readonly responses: Readonly<Record<number, string>>;
}

export type JsonObject = Record<string, unknown>;
