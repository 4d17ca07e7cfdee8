/** The deployed bench workflow as a sandbox loads it, read from the artifact store the way an executor reads it. */
import { jetstream } from "@nats-io/jetstream";
import { Objm } from "@nats-io/obj";
import { Buckets, DEFAULT_LIMITS } from "../contract/mod.ts";
import { ArtifactCache } from "../executor/artifact-cache.ts";
import { sandboxMemoryPages } from "../executor/memory-limit.ts";
import type { SandboxCode } from "../executor/sandbox/sandbox.ts";
import { useNativeObjectDigests } from "../infra/kiln-resources.ts";
import type { BenchContext } from "./context.ts";

export async function benchSandboxCode(context: BenchContext): Promise<SandboxCode> {
  useNativeObjectDigests();
  const artifacts = new ArtifactCache(await new Objm(jetstream(context.cluster.nc)).open(Buckets.artifacts));
  // The bench tenant keeps the default limits.memoryBytes.
  const loaded = await artifacts.get(context.tenant.tenant, context.workflow, context.version, sandboxMemoryPages(DEFAULT_LIMITS.memoryBytes));
  return { glue: loaded.artifact.glue, modules: loaded.modules };
}
