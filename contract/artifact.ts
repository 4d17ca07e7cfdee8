/**
 * The compiled artifact of one workflow version, as stored in the object store `kiln_artifacts` under
 * `artifactName(tenant, workflow, version)` and decoded by executors. Web-standard APIs only (no I/O),
 * so it runs on Node and Deno alike.
 *
 * Binary layout (integers little-endian):
 *   bytes 0–3    magic "KART"
 *   bytes 4–7    u32 container format (ARTIFACT_VERSION)
 *   bytes 8–11   u32 byte length H of the header
 *   next H       header: UTF-8 JSON (`ArtifactHeader`)
 *   rest         payload: the sections the header points at (offsets relative to the payload start)
 * Wasm bytes stay raw: a 20 MB core module is not base64-inflated, and decoding does not copy it.
 */

/** Container format version; a decoder refuses formats it does not know. */
export const ARTIFACT_VERSION = 1;

/** The runnable form of a workflow version. */
export interface Artifact {
  /** Container format version (not the workflow version). */
  version: typeof ARTIFACT_VERSION;
  /** jco's ES module glue: exports `instantiate(getCoreModule, imports)`. */
  glue: string;
  /** Core modules by the file name the glue asks `getCoreModule` for, e.g. `workflow.core.wasm`. */
  coreModules: Record<string, Uint8Array>;
  /** Source map v3 of the bundle, for turning guest stack traces into tenant `file:line:column`. */
  sourceMap?: string;
  /** The file name SpiderMonkey reports in stack frames of bundle code (e.g. `workflow.js`). */
  bundleFile: string;
  /** Which toolchain built it, e.g. `componentize-js@0.23.0 jco@1.35.0 esbuild@0.28.2 inputs#…`. */
  toolchain: string;
  /** Epoch milliseconds. */
  createdAt: number;
}

interface Section {
  offset: number;
  length: number;
}

interface ArtifactHeader {
  bundleFile: string;
  toolchain: string;
  createdAt: number;
  payloadBytes: number;
  glue: Section;
  sourceMap?: Section;
  coreModules: Record<string, Section>;
}

const MAGIC = [0x4b, 0x41, 0x52, 0x54]; // "KART"
const PREAMBLE_BYTES = 12;

/** A stored artifact that cannot be read: corrupt, truncated or from an unknown format. */
export class InvalidArtifactError extends Error {
  override name = "InvalidArtifactError";
}

/** Packs an artifact into one blob for the object store. */
export function encodeArtifact(artifact: Artifact): Uint8Array {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  let payloadBytes = 0;
  const add = (bytes: Uint8Array): Section => {
    parts.push(bytes);
    const section = { offset: payloadBytes, length: bytes.byteLength };
    payloadBytes += bytes.byteLength;
    return section;
  };
  const glue = add(encoder.encode(artifact.glue));
  const sourceMap = artifact.sourceMap === undefined ? undefined : add(encoder.encode(artifact.sourceMap));
  const coreModules: Record<string, Section> = {};
  for (const [name, bytes] of Object.entries(artifact.coreModules)) coreModules[name] = add(bytes);
  const header: ArtifactHeader = {
    bundleFile: artifact.bundleFile,
    toolchain: artifact.toolchain,
    createdAt: artifact.createdAt,
    payloadBytes,
    glue,
    ...(sourceMap ? { sourceMap } : {}),
    coreModules,
  };
  const headerBytes = encoder.encode(JSON.stringify(header));
  const out = new Uint8Array(PREAMBLE_BYTES + headerBytes.byteLength + payloadBytes);
  out.set(MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint32(4, ARTIFACT_VERSION, true);
  view.setUint32(8, headerBytes.byteLength, true);
  out.set(headerBytes, PREAMBLE_BYTES);
  let at = PREAMBLE_BYTES + headerBytes.byteLength;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

function fail(why: string): never {
  throw new InvalidArtifactError(`invalid artifact: ${why}; redeploy the workflow to rebuild it`);
}

function checkSection(value: unknown, what: string, payloadBytes: number): Section {
  const section = value as Partial<Section> | null;
  if (typeof section !== "object" || section === null) fail(`${what} is missing from the header`);
  const { offset, length } = section;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset! < 0 || length! < 0 || offset! + length! > payloadBytes) {
    fail(`${what} points outside the payload (offset ${String(offset)}, length ${String(length)}, payload ${payloadBytes} bytes)`);
  }
  return { offset: offset!, length: length! };
}

function parseHeader(json: string, payloadBytes: number): ArtifactHeader {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    fail("the header is not JSON");
  }
  if (typeof raw !== "object" || raw === null) fail("the header is not an object");
  const header = raw as Record<string, unknown>;
  if (header.payloadBytes !== payloadBytes) fail(`the payload is ${payloadBytes} bytes but the header says ${String(header.payloadBytes)} (truncated?)`);
  if (typeof header.bundleFile !== "string") fail("bundleFile is not a string");
  if (typeof header.toolchain !== "string") fail("toolchain is not a string");
  if (typeof header.createdAt !== "number" || !Number.isFinite(header.createdAt)) fail("createdAt is not a number");
  const modules = header.coreModules;
  if (typeof modules !== "object" || modules === null || Array.isArray(modules)) fail("coreModules is not an object");
  const coreModules: Record<string, Section> = {};
  for (const [name, section] of Object.entries(modules)) coreModules[name] = checkSection(section, `core module '${name}'`, payloadBytes);
  return {
    bundleFile: header.bundleFile,
    toolchain: header.toolchain,
    createdAt: header.createdAt,
    payloadBytes,
    glue: checkSection(header.glue, "glue", payloadBytes),
    ...(header.sourceMap === undefined ? {} : { sourceMap: checkSection(header.sourceMap, "sourceMap", payloadBytes) }),
    coreModules,
  };
}

/**
 * Unpacks and validates a blob from `encodeArtifact`; throws `InvalidArtifactError` saying what is wrong.
 * The returned core modules are views into `bytes` (no copy): do not modify `bytes` afterwards.
 */
export function decodeArtifact(bytes: Uint8Array): Artifact {
  if (bytes.byteLength < PREAMBLE_BYTES || MAGIC.some((byte, i) => bytes[i] !== byte)) fail("it does not start with the KART magic");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const format = view.getUint32(4, true);
  if (format !== ARTIFACT_VERSION) fail(`container format ${format} is not supported (this build reads ${ARTIFACT_VERSION})`);
  const headerBytes = view.getUint32(8, true);
  const payloadStart = PREAMBLE_BYTES + headerBytes;
  if (payloadStart > bytes.byteLength) fail(`the header claims ${headerBytes} bytes but the blob has ${bytes.byteLength}`);
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let headerJson: string;
  try {
    headerJson = decoder.decode(bytes.subarray(PREAMBLE_BYTES, payloadStart));
  } catch {
    fail("the header is not UTF-8");
  }
  const header = parseHeader(headerJson, bytes.byteLength - payloadStart);
  // Plain Uint8Array views (never Node's Buffer subclass, whatever `bytes` is), sharing the memory.
  const slice = (section: Section) => new Uint8Array(bytes.buffer, bytes.byteOffset + payloadStart + section.offset, section.length);
  const text = (section: Section, what: string): string => {
    try {
      return decoder.decode(slice(section));
    } catch {
      fail(`${what} is not UTF-8`);
    }
  };
  const coreModules: Record<string, Uint8Array> = {};
  for (const [name, section] of Object.entries(header.coreModules)) coreModules[name] = slice(section);
  const artifact: Artifact = {
    version: ARTIFACT_VERSION,
    glue: text(header.glue, "glue"),
    coreModules,
    bundleFile: header.bundleFile,
    toolchain: header.toolchain,
    createdAt: header.createdAt,
  };
  if (header.sourceMap) artifact.sourceMap = text(header.sourceMap, "sourceMap");
  return artifact;
}
