/**
 * nats.js 3.4.0 builds an `Error` on every request it completes: `RequestOne.resolver` settles the
 * request's promise, then calls `cancel()`, which rejects that already-settled promise with a new
 * `RequestError("cancelled")` — a no-op whose stack capture is paid by every KV read and write and
 * every JetStream publish (it was 6.5 % of the executor's busy CPU profile in the throughput bench).
 * Measured on this machine, 20,000 sequential KV creates: 120–155 µs of client CPU per create as
 * shipped, 96–125 µs with this change. The fix skips that rejection for a request already settled;
 * a request cancelled while still pending (the connection closing, say) rejects exactly as before.
 * Applied once, by importing this module (nats-connection.ts does); test/unit/nats-request-settle
 * checks both paths, so an upgrade that changes these internals is caught.
 */
import { RequestOne } from "@nats-io/nats-core/internal";

const SETTLED = Symbol("kiln.requestSettled");

interface PatchedRequest {
  [SETTLED]?: boolean;
  timer?: { cancel(): void };
  mux: { cancel(request: unknown): void };
  resolver: (this: PatchedRequest, error: Error | null, message: unknown) => void;
  cancel: (this: PatchedRequest, error?: Error) => void;
}

const prototype = RequestOne.prototype as unknown as PatchedRequest;
const { resolver, cancel } = prototype;

/** Whether the fix is in place: false only if nats.js no longer has the methods it replaces. */
export const requestSettlePatched = typeof resolver === "function" && typeof cancel === "function";

if (requestSettlePatched) {
  prototype.resolver = function (error, message) {
    this[SETTLED] = true;
    resolver.call(this, error, message);
  };
  prototype.cancel = function (error) {
    if (!this[SETTLED]) {
      cancel.call(this, error);
      return;
    }
    this.timer?.cancel();
    this.mux.cancel(this);
  };
}
