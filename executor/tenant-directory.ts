/**
 * The tenants an executor takes work for: every tenant in `kiln_registry`, followed live, so a tenant
 * created after the executor started is served as soon as it exists.
 */
import type { KV } from "@nats-io/kv";
import { Keys } from "../contract/mod.ts";

export interface TenantDirectoryEvents {
  added(tenant: string): void;
  removed(tenant: string): void;
}

export class TenantDirectory {
  private stopped = false;
  private watcher: { stop(): void } | undefined;
  private readonly known = new Set<string>();

  constructor(private readonly registry: KV) {}

  /** Reports the tenants that exist now, then each change, until `close`. */
  async follow(events: TenantDirectoryEvents): Promise<void> {
    const prefix = Keys.tenant("");
    const updates = await this.registry.watch({ key: Keys.allTenants });
    this.watcher = updates;
    if (this.stopped) updates.stop();
    void (async () => {
      for await (const entry of updates) {
        const tenant = entry.key.slice(prefix.length);
        if (entry.operation === "PUT" && !this.known.has(tenant)) {
          this.known.add(tenant);
          events.added(tenant);
        } else if (entry.operation !== "PUT" && this.known.delete(tenant)) {
          events.removed(tenant);
        }
      }
    })();
  }

  close(): void {
    this.stopped = true;
    this.watcher?.stop();
  }
}
