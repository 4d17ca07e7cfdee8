/**
 * Workflow versions are content hashes: the same source built by the same toolchain always gets the
 * same version (so redeploying identical source is a no-op), and any change to the source, the SDK,
 * the contract, the WIT world or the toolchain gives a new one.
 */
import { sha256Hex } from "../../infra/sha256.ts";
import { toolchainIdentity } from "./toolchain.ts";
import type { WorkflowSource } from "./types.ts";
import { normalizePath } from "./virtual-files.ts";

/** What was deployed: TypeScript/JavaScript source, or a pre-built component. */
export type SourceKind = "source" | "wasm";

/** Hex characters kept from the SHA-256: 96 bits, ample for one tenant's versions. */
export const VERSION_HEX_CHARS = 24;

/**
 * The version of a deploy. Paths are normalized (`./a.ts` ≡ `a.ts`) and files sorted, so the order
 * of keys in the request does not matter; contents are hashed exactly as sent.
 */
export async function sourceVersion(source: WorkflowSource, kind: "source"): Promise<string>;
export async function sourceVersion(source: Uint8Array, kind: "wasm"): Promise<string>;
export async function sourceVersion(source: WorkflowSource | Uint8Array, kind: SourceKind): Promise<string> {
  const toolchain = await toolchainIdentity();
  let digest: string;
  if (kind === "wasm") {
    if (!(source instanceof Uint8Array)) throw new TypeError("sourceVersion(bytes, 'wasm') needs the component's bytes");
    digest = await sha256Hex(source);
  } else {
    if (source instanceof Uint8Array) throw new TypeError("sourceVersion(source, 'source') needs { files, entry }");
    const files = Object.entries(source.files)
      .map(([path, text]): [string, string] => [normalizePath(path), text])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    digest = await sha256Hex(JSON.stringify({ entry: normalizePath(source.entry), files }));
  }
  return (await sha256Hex(`${kind}\n${toolchain}\n${digest}`)).slice(0, VERSION_HEX_CHARS);
}
