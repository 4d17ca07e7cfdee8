import { NoRespondersError } from "@nats-io/nats-core";
import { describe, expect, it } from "vitest";
import { isNatsUnavailable } from "../../infra/errors.ts";

describe("isNatsUnavailable", () => {
  it("counts a no-responders error itself", () => {
    expect(isNatsUnavailable(new NoRespondersError("kiln.inbox.acme.wf.i"))).toBe(true);
  });

  it("counts an error caused by one, as nats.js reports a publish to a stream with no leader", () => {
    // What a cluster failover gave the gateway: JetStreamNotEnabled("jetstream is not enabled") ← RequestError ← NoRespondersError.
    const publish = new Error("jetstream is not enabled", { cause: new Error("no responders", { cause: new NoRespondersError("kiln.inbox.acme.wf.i") }) });
    expect(isNatsUnavailable(publish)).toBe(true);
  });

  it("does not count an unrelated error, with or without a cause", () => {
    expect(isNatsUnavailable(new Error("bad input"))).toBe(false);
    expect(isNatsUnavailable(new Error("bad input", { cause: new TypeError("x is undefined") }))).toBe(false);
    expect(isNatsUnavailable("a string")).toBe(false);
  });
});
