/**
 * Compiled components per tenant version, loaded from `kiln_artifacts` once and kept in memory
 * (least recently used first out). A version is immutable, so a cached entry never goes stale.
 */
import type { ObjectStore } from "@nats-io/obj";
import { artifactName, ErrorCode, PlatformError } from "../contract/mod.ts";
import { decodeArtifact, type Artifact } from "../contract/artifact.ts";

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

export class ArtifactCache {
  private readonly entries = new Map<string, Promise<LoadedArtifact>>();

  constructor(
    private readonly store: ObjectStore,
    private readonly maxEntries = 64,
  ) {}

  get(tenant: string, workflow: string, version: string): Promise<LoadedArtifact> {
    const name = artifactName(tenant, workflow, version);
    let entry = this.entries.get(name);
    if (entry) {
      this.entries.delete(name);
    } else {
      entry = this.load(name);
      entry.catch(() => this.entries.delete(name));
    }
    this.entries.set(name, entry);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return entry;
  }

  private async load(name: string): Promise<LoadedArtifact> {
    const bytes = await this.store.getBlob(name);
    if (!bytes) throw new ArtifactNotFoundError(name);
    const artifact = decodeArtifact(bytes);
    const entries = await Promise.all(
      Object.entries(artifact.coreModules).map(async ([file, code]) => [file, await WebAssembly.compile(code as Uint8Array<ArrayBuffer>)] as const),
    );
    return { artifact, modules: Object.fromEntries(entries) };
  }
}
