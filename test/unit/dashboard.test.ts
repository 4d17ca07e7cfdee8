/** deploy/grafana/dashboards/kiln.json charts every Kiln metric the services register, on the provisioned data source. */
import { readFile } from "node:fs/promises";
import { expect, it } from "vitest";
import { ExecutorMetrics } from "../../executor/metrics.ts";
import { GatewayMetrics } from "../../gateway/metrics.ts";

type Panel = { type: string; title: string; targets?: { expr: string; datasource: { uid: string } }[] };

it("has a panel for every kiln_ metric of the gateway and the executor", async () => {
  const dashboard = JSON.parse(await readFile(new URL("../../deploy/grafana/dashboards/kiln.json", import.meta.url), "utf8")) as { panels: Panel[] };
  const datasource = await readFile(new URL("../../deploy/grafana/provisioning/datasources/prometheus.yaml", import.meta.url), "utf8");
  const uid = /uid: (\S+)/.exec(datasource)?.[1];
  const targets = dashboard.panels.flatMap((panel) => panel.targets ?? []);
  expect(targets.length).toBeGreaterThan(20);
  for (const target of targets) expect(target.datasource.uid).toBe(uid);
  const charted = targets.map((target) => target.expr).join("\n");

  const executor = new ExecutorMetrics({ runningByTenant: () => new Map(), idleSandboxes: () => 0, queueDepths: async () => new Map() });
  const gateway = new GatewayMetrics(
    () => 0,
    () => 0,
  );
  const names = [executor.registry, gateway.registry]
    .flatMap((registry) => registry.getMetricsAsArray().map((metric) => metric.name))
    .filter((name) => name.startsWith("kiln_"));
  expect(names.length).toBeGreaterThan(15);
  expect(names.filter((name) => !charted.includes(name))).toEqual([]);
});
