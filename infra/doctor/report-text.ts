/** The doctor's report for a person: one line per resource checked, each drift with its fix. */
import type { DoctorReport } from "./inspect-server.ts";

export function reportText(report: DoctorReport, context: { natsUrl: string; replicas: number }): string {
  const lines = [`kiln doctor: ${context.natsUrl}, expecting replicas ${context.replicas}, ${report.tenants.length} tenant(s)`];
  for (const resource of report.checked) {
    const drifts = report.drifts.filter((drift) => drift.resource === resource);
    lines.push(`${drifts.length === 0 ? "ok   " : "DRIFT"} ${resource}`);
    for (const drift of drifts) {
      lines.push(
        drift.setting === "exists" ? `        missing` : `        ${drift.setting}: expected ${drift.expected}, found ${drift.actual}`,
        `        fix: ${drift.fix}`,
      );
    }
  }
  lines.push(
    report.healthy
      ? "healthy: every stream, bucket, object store and consumer has the expected settings"
      : `${report.drifts.length} drift(s): apply the fixes above, then run \`npm run doctor\` again`,
  );
  return lines.join("\n");
}
