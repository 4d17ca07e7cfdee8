/**
 * The physical floor Kiln is built on, measured in the same run on the same NATS: raw JetStream KV
 * creates, a raw object-store read of the artifact, and raw instantiation of the same component.
 */
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { Objm } from "@nats-io/obj";
import { artifactName, Buckets } from "../../contract/mod.ts";
import { decodeArtifact } from "../../contract/artifact.ts";
import { useNativeObjectDigests } from "../../infra/kiln-resources.ts";
import type { BenchContext } from "../context.ts";
import { figure, type Figure } from "../figures.ts";
import { summarize, timeEach } from "../stats.ts";

/** About the size of a committed step record, so the floor writes what Kiln writes. */
const STEP_SIZED_PAYLOAD = new TextEncoder().encode(
  JSON.stringify({
    kind: "do",
    status: "ok",
    seq: 12,
    name: "step",
    key: "c3RlcA.12",
    startedAt: Date.now(),
    completedAt: Date.now(),
    result: 12,
    attempts: 1,
  }),
);
const THROUGHPUT_IN_FLIGHT = 256;

export async function measureFloors(context: BenchContext): Promise<Figure[]> {
  const { cluster, sizes } = context;
  const js = jetstream(cluster.nc);
  const kv = await new Kvm(js).create("bench_floor", { history: 1 });
  const latency = await timeEach(sizes.kvSamples, (i) => kv.create(`latency.${i}`, STEP_SIZED_PAYLOAD));

  const total = sizes.kvSamples * 5;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: THROUGHPUT_IN_FLIGHT }, async () => {
      while (next < total) await kv.create(`throughput.${next++}`, STEP_SIZED_PAYLOAD);
    }),
  );
  const createsPerSecond = total / ((performance.now() - started) / 1000);
  await kv.destroy();

  // Read the artifact the way Kiln's services read it (digest checked natively), so the floor is the same work.
  useNativeObjectDigests();
  const artifacts = await new Objm(js).open(Buckets.artifacts);
  const name = artifactName(context.tenant.tenant, context.workflow, context.version);
  let bytes: Uint8Array | null = null;
  const objectGet = await timeEach(Math.max(5, sizes.instantiateSamples / 2), async () => {
    bytes = await artifacts.getBlob(name);
  });
  if (!bytes) throw new Error(`artifact ${name} is missing`);
  const artifactBytes = (bytes as Uint8Array).byteLength;

  const instantiate = await measureRawInstantiate(bytes, sizes.instantiateSamples);
  return [
    figure({ id: "floor-kv-create", title: "Raw JetStream KV create (sequential)", kiln: { label: "kv.create", unit: "ms", value: summarize(latency) } }),
    figure({
      id: "floor-kv-create-throughput",
      title: `Raw JetStream KV creates/s (${THROUGHPUT_IN_FLIGHT} in flight)`,
      kiln: { label: "kv.create", unit: "ops/s", value: createsPerSecond },
    }),
    figure({
      id: "floor-object-get",
      title: `Raw object-store get of the artifact (${(artifactBytes / 2 ** 20).toFixed(1)} MiB)`,
      kiln: { label: "obj.getBlob", unit: "ms", value: summarize(objectGet) },
    }),
    figure({
      id: "floor-instantiate",
      title: "Raw instantiate of the same component (compiled modules)",
      kiln: { label: "instantiate", unit: "ms", value: summarize(instantiate) },
    }),
  ];
}

/** Compiles the artifact's core modules once, then instantiates the component repeatedly, in this thread. */
async function measureRawInstantiate(bytes: Uint8Array, samples: number): Promise<number[]> {
  const artifact = decodeArtifact(bytes);
  const modules: Record<string, WebAssembly.Module> = {};
  for (const [file, code] of Object.entries(artifact.coreModules)) modules[file] = await WebAssembly.compile(code as Uint8Array<ArrayBuffer>);
  const glue = (await import(`data:text/javascript,${encodeURIComponent(artifact.glue)}`)) as {
    instantiate(getCoreModule: (name: string) => WebAssembly.Module, imports: object): Promise<unknown>;
  };
  const imports = {
    "kiln:workflow/engine": { call: () => "{}" },
    "kiln:workflow/logging": { log: () => undefined },
    "kiln:workflow/http": { fetch: () => ({ tag: "err", val: { tag: "refused", val: "no network in the benchmark" } }) },
  };
  return timeEach(samples, () => glue.instantiate((file) => modules[file]!, imports));
}
