/**
 * Compiled components per tenant version and memory cap, loaded from `kiln_artifacts` once and kept
 * in memory (least recently used first out). A version is immutable, so a cached entry never goes
 * stale. The cap is compiled into the core modules (sandbox/memory-cap.ts), so a tenant whose
 * `limits.memoryBytes` changes gets a new entry; the old one ages out.
 */
import type { ObjectStore } from "@nats-io/obj";
import { artifactName, ErrorCode, PlatformError } from "../contract/mod.ts";
import { decodeArtifact, type Artifact } from "../contract/artifact.ts";
import { capModuleMemory, MemoryCapError } from "./sandbox/memory-cap.ts";

export interface LoadedArtifact {
  artifact: Artifact;
  modules: Record<string, WebAssembly.Module>;
}

/** The version's artifact is gone: retrying cannot bring it back, so the instance fails. */
export class ArtifactNotFoundError extends PlatformError {
  override name = "ArtifactNotFoundError";
  constructor(name: string) {
    super(ErrorCode.artifactMissing, `artifact '${name}' is missing from the artifact store; deploy the workflow again and create new instances`, {
      do: "fail",
    });
  }
}

/** The component cannot even start within the tenant's memory limit: retrying cannot change that. */
export class ArtifactOverMemoryLimitError extends PlatformError {
  override name = "ArtifactOverMemoryLimitError";
  constructor(name: string, cause: MemoryCapError) {
    super(
      ErrorCode.limitExceeded,
      `artifact '${name}' cannot run: ${cause.message}; ask the platform admin to raise limits.memoryBytes`,
      { do: "fail" },
      { cause },
    );
  }
}

export class ArtifactCache {
  private readonly entries = new Map<string, Promise<LoadedArtifact>>();

  constructor(
    private readonly store: ObjectStore,
    private readonly maxEntries = 64,
  ) {}

  /** The version's artifact, its core modules compiled with their memories capped at `memoryPages`. */
  get(tenant: string, workflow: string, version: string, memoryPages: number): Promise<LoadedArtifact> {
    const name = artifactName(tenant, workflow, version);
    const key = `${name}@${memoryPages}`;
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
    } else {
      entry = this.load(name, memoryPages);
      entry.catch(() => this.entries.delete(key));
    }
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return entry;
  }

  private async load(name: string, memoryPages: number): Promise<LoadedArtifact> {
    const bytes = await this.store.getBlob(name);
    if (!bytes) throw new ArtifactNotFoundError(name);
    const artifact = decodeArtifact(bytes);
    const capped = (code: Uint8Array) => {
      try {
        return capModuleMemory(code, memoryPages);
      } catch (error) {
        throw error instanceof MemoryCapError ? new ArtifactOverMemoryLimitError(name, error) : error;
      }
    };
    const entries = await Promise.all(
      Object.entries(artifact.coreModules).map(async ([file, code]) => [file, await WebAssembly.compile(capped(code) as Uint8Array<ArrayBuffer>)] as const),
    );
    return { artifact, modules: Object.fromEntries(entries) };
  }
}
