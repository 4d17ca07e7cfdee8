/** Why a sandbox was discarded. Recognised by `name`, since they describe the guest, not the host. */

/** The host stopped the sandbox on purpose (step timeout, lost lease, executor shutdown). */
export class SandboxKilledError extends Error {
  override name = "SandboxKilledError";
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** The component trapped or failed to load: its instance is discarded. */
export class SandboxCrashedError extends Error {
  override name = "SandboxCrashedError";
}
