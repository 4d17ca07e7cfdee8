/** How a failed zod parse is told to whoever sent the value: the field, and what is wrong with it. */
import type { z } from "zod";

/** `'<field>': <what is wrong>`, with the field an unknown key or a bad record key names itself. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  const field = (path: readonly PropertyKey[]) => (path.length > 0 ? `'${path.map(String).join(".")}': ` : "");
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => `${field([...issue.path, key])}unknown field (check its spelling, or remove it)`).join(", ");
  }
  if (issue.code === "invalid_key") return `${field(issue.path)}${issue.issues[0]?.message ?? issue.message}`;
  return `${field(issue.path)}${issue.message}`;
}
