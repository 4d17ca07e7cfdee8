/**
 * Tenant settings (`PUT /v1/tenants/:t/settings`, admin only), stored in `kiln_registry` under
 * `settings.<tenant>` and followed by every executor. Every field is optional; `resolveSettings`
 * fills in the defaults once, so code inside reads whole numbers with units in their names.
 */
import { z } from "zod";
import { parseDuration } from "./duration.ts";

/** `api.stripe.com`, `*.example.com`, `127.0.0.1:8080`, `[::1]:8080`: a host or `*.suffix`, optional port. */
export const EGRESS_ENTRY = /^(\*\.)?([a-z0-9-]+(\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(:\d{1,5})?$/i;

const MiB = 1024 * 1024;
const DAY_MS = 86_400_000;

const duration = (maxMs: number, field: string) =>
  z.union([z.number(), z.string()], { error: "expected a duration: milliseconds, or text such as '7 days'" }).transform((value, ctx) => {
    try {
      const ms = parseDuration(value);
      if (ms <= maxMs) return value;
      ctx.addIssue({ code: "custom", message: `${field} may be at most ${maxMs / DAY_MS} days` });
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
    }
    return z.NEVER;
  });

const int = (min: number, max: number) => z.number().int().min(min).max(max);

/**
 * How long finished instances are kept: the tenant's default in settings, or one instance's own in
 * its create request. Complete instances keep `successRetention`, errored and terminated ones
 * `errorRetention`; 30 days at most.
 */
export const retentionSchema = z
  .object({ successRetention: duration(30 * DAY_MS, "successRetention").optional(), errorRetention: duration(30 * DAY_MS, "errorRetention").optional() })
  .strict();

/** An instance's own retention in milliseconds, as its record keeps it. */
export function instanceRetention(retention: z.infer<typeof retentionSchema>): { successMs?: number; errorMs?: number } {
  return {
    ...(retention.successRetention === undefined ? {} : { successMs: parseDuration(retention.successRetention) }),
    ...(retention.errorRetention === undefined ? {} : { errorMs: parseDuration(retention.errorRetention) }),
  };
}

export const tenantSettingsSchema = z
  .object({
    egress: z
      .object({
        allow: z
          .array(z.string().regex(EGRESS_ENTRY, "allow-list entries are a host name, '*.suffix' or an IP address, optionally with ':port'"))
          .max(256)
          .optional(),
      })
      .strict()
      .optional(),
    env: z
      .object({
        vars: z
          .record(
            z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "variable names are letters, digits and '_', not starting with a digit"),
            z.string().max(4096),
          )
          .optional(),
      })
      .strict()
      .optional(),
    limits: z
      .object({
        concurrency: int(1, 100_000).optional(),
        maxInstances: int(1, 100_000_000).optional(),
        createsPerSecond: int(1, 100_000).optional(),
        runCpuMs: int(100, 60_000).optional(),
        stepCpuMs: int(100, 300_000).optional(),
        stepTimeoutMaxMs: int(1_000, 24 * 3_600_000).optional(),
        memoryBytes: int(16 * MiB, 4096 * MiB).optional(),
        sourceBytes: int(1024, 64 * MiB).optional(),
        fetchResponseBytes: int(1024, 64 * MiB).optional(),
        logLinesPerActivation: int(1, 1_000_000).optional(),
      })
      .strict()
      .optional(),
    retention: retentionSchema.optional(),
  })
  .strict();

export type TenantSettings = z.infer<typeof tenantSettingsSchema>;

export interface ResolvedTenantSettings {
  readonly egressAllow: readonly string[];
  readonly envVars: Readonly<Record<string, string>>;
  readonly limits: {
    /** Running activations of the tenant across all executors. @default 100 */
    readonly concurrency: number;
    /** Instances not in a final status. @default 1_000_000 */
    readonly maxInstances: number;
    /** @default 300 */
    readonly createsPerSecond: number;
    /** CPU for code outside step bodies, per activation. @default 5_000 */
    readonly runCpuMs: number;
    /** CPU per step attempt. @default 30_000 */
    readonly stepCpuMs: number;
    /** The largest `timeout` a step may ask for. @default 600_000 */
    readonly stepTimeoutMaxMs: number;
    /** Wasm memory per sandbox. @default 256 MiB */
    readonly memoryBytes: number;
    /** Deployed source, all files together. @default 4 MiB */
    readonly sourceBytes: number;
    /** The largest response body `fetch` reads. @default 8 MiB */
    readonly fetchResponseBytes: number;
    /** @default 1_000 */
    readonly logLinesPerActivation: number;
  };
  readonly retention: { readonly successRetentionMs: number; readonly errorRetentionMs: number };
}

export const DEFAULT_LIMITS: ResolvedTenantSettings["limits"] = {
  concurrency: 100,
  maxInstances: 1_000_000,
  createsPerSecond: 300,
  runCpuMs: 5_000,
  stepCpuMs: 30_000,
  stepTimeoutMaxMs: 600_000,
  memoryBytes: 256 * MiB,
  sourceBytes: 4 * MiB,
  fetchResponseBytes: 8 * MiB,
  logLinesPerActivation: 1_000,
};

/** Settings as stored (validated), with every default filled in. */
export function resolveSettings(settings: TenantSettings | undefined): ResolvedTenantSettings {
  return {
    egressAllow: settings?.egress?.allow ?? [],
    envVars: settings?.env?.vars ?? {},
    limits: { ...DEFAULT_LIMITS, ...settings?.limits },
    retention: {
      successRetentionMs: parseDuration(settings?.retention?.successRetention ?? "7 days"),
      errorRetentionMs: parseDuration(settings?.retention?.errorRetention ?? "7 days"),
    },
  };
}
