/** zod at the HTTP boundary: a failed parse becomes a 400 naming the field. */
import type { z } from "zod";
import { describeIssue } from "../contract/describe-issue.ts";
import { badRequest } from "./errors.ts";

export function parseBody<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw badRequest(`invalid request: ${describeIssue(parsed.error.issues[0]!)}`);
}
