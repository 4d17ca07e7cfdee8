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

/** A sandbox was asked of a pool after `close()`: the executor is shutting down. */
export class SandboxPoolClosedError extends Error {
  override name = "SandboxPoolClosedError";
  constructor() {
    super("the sandbox pool is closed because the executor is shutting down; run the activation on another executor");
  }
}
