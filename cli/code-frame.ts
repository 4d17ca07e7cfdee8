/** A compile diagnostic as a person reads it: `file:line:col: message`, and the lines around it with a caret. */
import type { CompileDiagnostic } from "../contract/mod.ts";

/** Lines shown before and after the one with the problem. */
const CONTEXT_LINES = 2;

/** `source` is the file's text when the CLI has it; without it (or without a position) only the first line is given. */
export function formatDiagnostic(diagnostic: CompileDiagnostic, source: string | undefined, path = diagnostic.file): string {
  const where = diagnostic.line > 0 ? `${path}:${diagnostic.line}:${diagnostic.column}` : path;
  const head = `${where}: ${diagnostic.message}`;
  if (source === undefined || diagnostic.line < 1) return head;
  const lines = source.split(/\r?\n/);
  if (diagnostic.line > lines.length) return head;
  const first = Math.max(1, diagnostic.line - CONTEXT_LINES);
  const last = Math.min(lines.length, diagnostic.line + CONTEXT_LINES);
  const width = String(last).length;
  const frame: string[] = [];
  for (let number = first; number <= last; number++) {
    const marker = number === diagnostic.line ? ">" : " ";
    frame.push(`${marker} ${String(number).padStart(width)} | ${lines[number - 1]}`);
    if (number === diagnostic.line) frame.push(`  ${" ".repeat(width)} | ${" ".repeat(Math.max(0, diagnostic.column - 1))}^`);
  }
  return `${head}\n${frame.join("\n")}`;
}
