/**
 * Names on the wire: validation of tenant, workflow and instance names, and the builders for every
 * NATS subject, KV key and object name Kiln uses. Nothing else in the code base pastes subjects.
 */

export const TENANT_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const WORKFLOW_NAME = TENANT_NAME;
export const INSTANCE_ID = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,99}$/;
/** Event types travel in subjects and keys too, so they follow the instance id rule. */
export const EVENT_TYPE = INSTANCE_ID;
/** Secret names are environment-variable-like. */
export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export const Buckets = {
  instances: "kiln_instances",
  journal: "kiln_journal",
  registry: "kiln_registry",
  artifacts: "kiln_artifacts",
  /** Leases on each tenant's concurrency slots (`limits.concurrency`), see executor/concurrency-slots.ts. */
  slots: "kiln_slots",
} as const;

export const Streams = {
  work: "KILN_WORK",
  inbox: "KILN_INBOX",
  /** Captures `kiln.logs.>` so the gateway can show an instance's past log lines. */
  logs: "KILN_LOGS",
} as const;

/**
 * The durable pull consumer on `KILN_WORK` for one tenant's work, shared by every executor. One per
 * tenant, so executors can take work from tenants in turn: a tenant's backlog never queues another
 * tenant's instances behind it.
 */
export const workConsumer = (tenant: string) => `kiln-work-${tenant}`;

export const Subjects = {
  work: (tenant: string, workflow: string) => `kiln.work.${tenant}.${workflow}`,
  workOfTenant: (tenant: string) => `kiln.work.${tenant}.>`,
  workAll: "kiln.work.>",
  logs: (tenant: string, workflow: string, instance: string) => `kiln.logs.${tenant}.${workflow}.${instance}`,
  logsAll: "kiln.logs.>",
  events: (tenant: string, workflow: string, instance: string, kind: string) => `kiln.events.${tenant}.${workflow}.${instance}.${kind}`,
  /** Every lifecycle event of one tenant: what an operator subscribes to. */
  eventsOfTenant: (tenant: string) => `kiln.events.${tenant}.>`,
  /** Buffered events sent to one instance, in arrival order. */
  inbox: (tenant: string, instance: string) => `kiln.inbox.${tenant}.${instance}`,
  inboxAll: "kiln.inbox.>",
  /** Pause / terminate requests for a running activation; executors listen on `controlAll`. */
  control: (tenant: string, instance: string) => `kiln.control.${tenant}.${instance}`,
  controlAll: "kiln.control.>",
} as const;

export const Keys = {
  instance: (tenant: string, instance: string) => `${tenant}.${instance}`,
  instancesOfTenant: (tenant: string) => `${tenant}.*`,
  tenant: (tenant: string) => `tenant.${tenant}`,
  allTenants: "tenant.*",
  tenantToken: (tokenHash: string) => `token.${tokenHash}`,
  tenantSettings: (tenant: string) => `settings.${tenant}`,
  allTenantSettings: "settings.*",
  secret: (tenant: string, name: string) => `secret.${tenant}.${name}`,
  secretsOfTenant: (tenant: string) => `secret.${tenant}.*`,
  allSecrets: "secret.*.*",
  workflow: (tenant: string, workflow: string) => `workflow.${tenant}.${workflow}`,
  workflowsOfTenant: (tenant: string) => `workflow.${tenant}.*`,
  /**
   * Journal keys: `<tenant>.<instance>.<step-key>`. The step key holds the instance's generation (a
   * restart starts a new one, so a stale activation can never write into the new journal), the step
   * name (base64url, so any text is a valid key) and its occurrence count.
   */
  journalPrefix: (tenant: string, instance: string, generation: number) => `${tenant}.${instance}.g${generation}`,
  journalStep: (tenant: string, instance: string, generation: number, stepKey: string) => `${tenant}.${instance}.g${generation}.${stepKey}`,
  journalAll: (tenant: string, instance: string) => `${tenant}.${instance}.>`,
  /** A copy of a generation's whole journal as of the end of one activation (see JournalStore). */
  journalSnapshot: (tenant: string, instance: string, generation: number) => `${tenant}.${instance}.g${generation}.snapshot`,
  /** One of the tenant's `limits.concurrency` slots, numbered from 0: `<tenant>.<index>`. */
  concurrencySlot: (tenant: string, index: number) => `${tenant}.${index}`,
} as const;

export const artifactName = (tenant: string, workflow: string, version: string) => `${tenant}/${workflow}/${version}`;

const encoder = new TextEncoder();

/** base64url without padding: a step name becomes one KV-safe token. */
export function encodeKeyToken(text: string): string {
  let binary = "";
  for (const byte of encoder.encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function decodeKeyToken(token: string): string {
  const base64 = token.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

/** The step key of the `occurrence`-th (1-based) step called `name`: `<base64url(name)>.<occurrence>`. */
export const stepKey = (name: string, occurrence: number) => `${encodeKeyToken(name)}.${occurrence}`;
