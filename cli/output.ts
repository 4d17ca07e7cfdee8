/** How a command answers: human text, or one JSON document with `--json` (JSON lines when following). */
export interface Output {
  readonly json: boolean;
  /** A result: printed as JSON with `--json`, else as `human` (or nothing when it is undefined). */
  result(value: unknown, human?: string): void;
  /** Progress for a person watching (live statuses); never printed with `--json`, never on stdout. */
  progress(text: string): void;
  /** A line of text on stdout (human mode only). */
  line(text: string): void;
}

export function createOutput(json: boolean, stdout = process.stdout, stderr = process.stderr): Output {
  return {
    json,
    result(value, human) {
      if (json) stdout.write(`${JSON.stringify(value)}\n`);
      else if (human !== undefined) stdout.write(`${human}\n`);
    },
    progress(text) {
      if (!json) stderr.write(`${text}\n`);
    },
    line(text) {
      if (!json) stdout.write(`${text}\n`);
    },
  };
}

/** Rows as aligned columns, headers first. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)));
  const format = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join("  ")
      .trimEnd();
  return [format(headers), ...rows.map(format)].join("\n");
}

export const pretty = (value: unknown) => JSON.stringify(value, null, 2);
