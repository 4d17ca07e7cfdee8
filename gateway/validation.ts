/** zod at the HTTP boundary: a failed parse becomes a 400 naming the field. */
import type { z } from "zod";
import { badRequest } from "./errors.ts";

export function parseBody<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length > 0 ? `'${issue.path.join(".")}': ` : "";
  throw badRequest(`invalid request: ${where}${issue.message}`);
}
