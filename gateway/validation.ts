/** zod at the HTTP boundary: a failed parse becomes a 400 naming the field. */
import type { z } from "zod";
import { badRequest } from "./errors.ts";

export function parseBody<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw badRequest(`invalid request: ${describeIssue(parsed.error.issues[0]!)}`);
}

/** `'<field>': <what is wrong>`, with the field an unknown key or a bad record key names itself. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const field = (path: readonly PropertyKey[]) => (path.length > 0 ? `'${path.map(String).join(".")}': ` : "");
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => `${field([...issue.path, key])}unknown field (check its spelling, or remove it)`).join(", ");
  }
  if (issue.code === "invalid_key") return `${field(issue.path)}${issue.issues[0]?.message ?? issue.message}`;
  return `${field(issue.path)}${issue.message}`;
}
