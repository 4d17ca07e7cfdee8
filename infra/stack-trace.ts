/**
 * Turns stack traces from inside a tenant component into the tenant's own `file:line:column`.
 *
 * SpiderMonkey (inside the component) writes one frame per line as `name@file:line:column`, with
 * 1-based lines and columns, e.g. `run@workflow.js:75:13` or `async*run<@workflow.js:80:7`; the file is
 * the artifact's `bundleFile`. Frames of the bundle are mapped through its source map (v3, decoded here:
 * no dependency). Frames in tenant files come out as `run@index.ts:12:11`; frames in Kiln's SDK and the
 * engine's glue say nothing useful to a tenant and are dropped unless `keepInternalFrames` is set.
 */

/** Sources whose name starts with this are Kiln's (see gateway/compile/bundle.ts). */
const INTERNAL_SOURCE_PREFIX = "kiln:";
const FRAME = /^(.*)@(.*):(\d+):(\d+)$/;
const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64_VALUE = new Map([...BASE64].map((char, index) => [char, index]));

export interface RemapOptions {
  /** Keep SDK and engine frames (named `kiln:sdk/…`) instead of dropping them. @default false */
  keepInternalFrames?: boolean;
}

/** Where a generated position came from; all 0-based, as in the source map. */
interface Segment {
  generatedColumn: number;
  source: number;
  line: number;
  column: number;
}

interface DecodedMap {
  sources: string[];
  /** Per generated line, segments sorted by generated column. */
  lines: Segment[][];
}

/** Decodes the `mappings` field: `;` separates lines, `,` segments, each a run of base64 VLQ numbers. */
function decodeMappings(mappings: string): Segment[][] {
  const lines: Segment[][] = [];
  let source = 0;
  let line = 0;
  let column = 0;
  for (const lineText of mappings.split(";")) {
    const segments: Segment[] = [];
    let generatedColumn = 0;
    for (const segmentText of lineText.split(",")) {
      if (segmentText.length === 0) continue;
      const fields: number[] = [];
      let value = 0;
      let shift = 0;
      for (const char of segmentText) {
        const digit = BASE64_VALUE.get(char);
        if (digit === undefined) throw new Error(`invalid base64 '${char}' in source map mappings`);
        value += (digit & 31) << shift;
        if (digit & 32) {
          shift += 5;
        } else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      generatedColumn += fields[0] ?? 0;
      if (fields.length < 4) continue; // a generated position without an original one
      source += fields[1]!;
      line += fields[2]!;
      column += fields[3]!;
      segments.push({ generatedColumn, source, line, column });
    }
    segments.sort((a, b) => a.generatedColumn - b.generatedColumn);
    lines.push(segments);
  }
  return lines;
}

const decodedMaps = new Map<string, DecodedMap>();
const MAX_CACHED_MAPS = 32;

function decodeMap(sourceMap: string): DecodedMap {
  const cached = decodedMaps.get(sourceMap);
  if (cached) return cached;
  const raw = JSON.parse(sourceMap) as { sources?: unknown; mappings?: unknown };
  if (!Array.isArray(raw.sources) || typeof raw.mappings !== "string") throw new Error("not a source map v3");
  const decoded = { sources: raw.sources.map(String), lines: decodeMappings(raw.mappings) };
  if (decodedMaps.size >= MAX_CACHED_MAPS) decodedMaps.delete(decodedMaps.keys().next().value!);
  decodedMaps.set(sourceMap, decoded);
  return decoded;
}

/** The original position of a 1-based generated line and column, or `undefined` when unmapped. */
function lookup(map: DecodedMap, line: number, column: number): { source: string; line: number; column: number } | undefined {
  const segments = map.lines[line - 1];
  if (!segments || segments.length === 0) return undefined;
  const target = column - 1;
  let low = 0;
  let high = segments.length - 1;
  let found: Segment | undefined;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const segment = segments[mid]!;
    if (segment.generatedColumn <= target) {
      found = segment;
      low = mid + 1;
    } else high = mid - 1;
  }
  found ??= segments[0]!;
  const source = map.sources[found.source];
  return source === undefined ? undefined : { source, line: found.line + 1, column: found.column + 1 };
}

/**
 * The original `source:line:column` (1-based) of a 1-based position in the bundle, or `undefined` when
 * it is unmapped or the source map is unreadable.
 */
export function originalPosition(sourceMap: string, line: number, column: number): { source: string; line: number; column: number } | undefined {
  try {
    return lookup(decodeMap(sourceMap), line, column);
  } catch {
    return undefined;
  }
}

/** Whether a frame's file is the bundle: SpiderMonkey may prefix it with a folder or `/`. */
function isBundleFile(file: string, bundleFile: string): boolean {
  return file === bundleFile || file.endsWith(`/${bundleFile}`);
}

/**
 * Rewrites a guest stack trace to the tenant's files. Lines that are not frames pass unchanged; with
 * no source map (an uploaded component) or an unreadable one, the stack comes back as it was.
 */
export function remapStack(stack: string, artifact: { sourceMap?: string; bundleFile: string }, options: RemapOptions = {}): string {
  if (artifact.sourceMap === undefined) return stack;
  let map: DecodedMap;
  try {
    map = decodeMap(artifact.sourceMap);
  } catch {
    return stack;
  }
  const out: string[] = [];
  for (const line of stack.split("\n")) {
    const frame = FRAME.exec(line);
    if (!frame) {
      if (line.length > 0) out.push(line);
      continue;
    }
    const [, name = "", file = "", lineText = "0", columnText = "0"] = frame;
    if (!isBundleFile(file, artifact.bundleFile)) {
      if (options.keepInternalFrames) out.push(line);
      continue;
    }
    const original = lookup(map, Number(lineText), Number(columnText));
    if (original === undefined) {
      if (options.keepInternalFrames) out.push(line);
      continue;
    }
    if (original.source.startsWith(INTERNAL_SOURCE_PREFIX) && !options.keepInternalFrames) continue;
    out.push(`${name}@${original.source}:${original.line}:${original.column}`);
  }
  return out.join("\n") + (stack.endsWith("\n") && out.length > 0 ? "\n" : "");
}
