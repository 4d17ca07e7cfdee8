/**
 * Names on the wire: validation of tenant, workflow and instance names, and the builders for every
 * NATS subject, KV key and object name Kiln uses. Nothing else in the code base pastes subjects.
 */

export const TENANT_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const WORKFLOW_NAME = TENANT_NAME;
export const INSTANCE_ID = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,99}$/;
/** Event types travel in subjects and keys too, so they follow the instance id rule. */
export const EVENT_TYPE = INSTANCE_ID;
/** Token names follow the tenant name rule: they appear in paths and in `kiln_registry` keys. */
export const TOKEN_NAME = TENANT_NAME;
/** Secret names are environment-variable-like. */
export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Where one instance lives. Instance ids are unique within their workflow (as in Cloudflare
 * Workflows: one order id may name an instance of several workflows), so every key and subject of an
 * instance carries all three names.
 */
export interface InstanceRef {
  readonly tenant: string;
  readonly workflow: string;
  readonly instance: string;
}

/** The ref of an instance record or an envelope (`id` / `instance` both name the instance). */
export const instanceRef = (of: { tenant: string; workflow: string; id: string }): InstanceRef => ({
  tenant: of.tenant,
  workflow: of.workflow,
  instance: of.id,
});

/** `<tenant>.<workflow>.<instance>`: the instance's token path in keys and subjects. */
const path = (ref: InstanceRef) => `${ref.tenant}.${ref.workflow}.${ref.instance}`;

export const Buckets = {
  instances: "kiln_instances",
  journal: "kiln_journal",
  registry: "kiln_registry",
  /** Each workflow's instances in creation order, for listing (infra/instance-index.ts). */
  index: "kiln_index",
  artifacts: "kiln_artifacts",
  /** Per-tenant counts of live instances and create budgets (`QuotaRecord`). */
  quotas: "kiln_quotas",
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
  inbox: (ref: InstanceRef) => `kiln.inbox.${path(ref)}`,
  inboxAll: "kiln.inbox.>",
  /** Pause / terminate requests for a running activation; executors listen on `controlAll`. */
  control: (ref: InstanceRef) => `kiln.control.${path(ref)}`,
  controlAll: "kiln.control.>",
} as const;

export const Keys = {
  instance: (ref: InstanceRef) => path(ref),
  instancesOfWorkflow: (tenant: string, workflow: string) => `${tenant}.${workflow}.*`,
  instancesOfTenant: (tenant: string) => `${tenant}.*.*`,
  /** The chunk of a workflow's instance index being filled, and its sealed chunks. */
  indexHead: (tenant: string, workflow: string) => `${tenant}.${workflow}.head`,
  indexChunk: (tenant: string, workflow: string, chunk: number) => `${tenant}.${workflow}.c${chunk}`,
  /** Every instance key of the tenant lies under `<this>.>`, whatever lies between the tenant and the id. */
  instancesPrefixOfTenant: (tenant: string) => tenant,
  /** The tenant's `QuotaRecord` in `kiln_quotas`. */
  quota: (tenant: string) => `quota.${tenant}`,
  allQuotas: "quota.*",
  tenant: (tenant: string) => `tenant.${tenant}`,
  allTenants: "tenant.*",
  /** What authenticates a request: the SHA-256 hash of a tenant token, never the token itself. */
  tenantToken: (tokenHash: string) => `token.${tokenHash}`,
  allTenantTokens: "token.*",
  /** The tenant's tokens by name (with their hashes, never the tokens), one document for listing and revoking. */
  tokenIndex: (tenant: string) => `token-index.${tenant}`,
  /** When a token was last used, written apart from the index so that frequent writes never contend with it. */
  tokenUse: (tenant: string, name: string) => `token-use.${tenant}.${name}`,
  tenantSettings: (tenant: string) => `settings.${tenant}`,
  allTenantSettings: "settings.*",
  secret: (tenant: string, name: string) => `secret.${tenant}.${name}`,
  secretsOfTenant: (tenant: string) => `secret.${tenant}.*`,
  allSecrets: "secret.*.*",
  workflow: (tenant: string, workflow: string) => `workflow.${tenant}.${workflow}`,
  workflowsOfTenant: (tenant: string) => `workflow.${tenant}.*`,
  allWorkflows: "workflow.*.*",
  /**
   * Journal keys: `<tenant>.<workflow>.<instance>.g<generation>.<step-key>`. The step key holds the instance's generation (a
   * restart starts a new one, so a stale activation can never write into the new journal), the step
   * name (base64url, so any text is a valid key) and its occurrence count.
   */
  journalPrefix: (ref: InstanceRef, generation: number) => `${path(ref)}.g${generation}`,
  journalStep: (ref: InstanceRef, generation: number, stepKey: string) => `${path(ref)}.g${generation}.${stepKey}`,
  journalAll: (ref: InstanceRef) => `${path(ref)}.>`,
  /** A copy of a generation's whole journal as of the end of one activation (see JournalStore). */
  journalSnapshot: (ref: InstanceRef, generation: number) => `${path(ref)}.g${generation}.snapshot`,
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
export const stepKey = (name: string, occurrence: number) => stepKeyOf(encodeKeyToken(name), occurrence);

/** `stepKey` from the name's token (`encodeKeyToken(name)`), for callers that keep the tokens. */
export const stepKeyOf = (nameToken: string, occurrence: number) => `${nameToken}.${occurrence}`;

/** The occurrence count in a step key. */
export const stepOccurrence = (key: string) => Number(key.split(".")[1]);

/** The step name in a step key (`stepKey` the other way). */
export const stepName = (key: string) => decodeKeyToken(key.split(".")[0]!);

/** A step as the API names it: its name and its occurrence count in the run, from 1. */
export interface StepAddress {
  name: string;
  count: number;
}
