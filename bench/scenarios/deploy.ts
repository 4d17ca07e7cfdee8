/** Deploy: a real compile of new source (esbuild, componentize-js, jco), and an identical redeploy. */
import type { BenchContext } from "../context.ts";
import { figure, type Figure } from "../figures.ts";
import { summarize, timeEach } from "../stats.ts";

const DEPLOY_TARGET_MS = 10_000;
const REDEPLOY_TARGET_MS = 200;

/**
 * `firstDeployMs` is the deploy of the bench workflow itself (the first sample); each further sample
 * deploys the source with a distinct comment, so its version is new and nothing is cached.
 */
export async function measureDeploys(context: BenchContext, source: string, firstDeployMs: number): Promise<Figure[]> {
  const { tenant, sizes } = context;
  const deploys = [firstDeployMs];
  deploys.push(...(await timeEach(sizes.deploySamples - 1, (i) => tenant.deploy(`variant-${i}`, `${source}\n// variant ${i} ${crypto.randomUUID()}\n`))));
  const redeploys = await timeEach(sizes.redeploySamples, async () => {
    const answer = await tenant.deploy(context.workflow, source);
    if (!answer.unchanged) throw new Error("an identical redeploy was compiled again");
  });
  const deploy = summarize(deploys);
  const redeploy = summarize(redeploys);
  return [
    figure({
      id: "deploy",
      title: "Deploy of new source (HTTP PUT → 201, compile included)",
      kiln: { label: "deploy", unit: "ms", value: deploy },
      target: { text: `p50 ≤ ${DEPLOY_TARGET_MS / 1000} s`, met: deploy.p50 <= DEPLOY_TARGET_MS },
    }),
    figure({
      id: "redeploy-identical",
      title: "Deploy of identical source",
      kiln: { label: "redeploy", unit: "ms", value: redeploy },
      target: { text: `p50 ≤ ${REDEPLOY_TARGET_MS} ms`, met: redeploy.p50 <= REDEPLOY_TARGET_MS },
    }),
  ];
}
