import { describe, expect, it } from "vitest";
import { natsServers } from "../../infra/nats-connection.ts";

describe("natsServers", () => {
  it("splits a comma-separated KILN_NATS_URL into the cluster's servers, ignoring spaces and empty entries", () => {
    expect(natsServers("nats://nats-1:4222, nats://nats-2:4222,nats://nats-3:4222,")).toEqual([
      "nats://nats-1:4222",
      "nats://nats-2:4222",
      "nats://nats-3:4222",
    ]);
  });

  it("keeps a single URL as it is", () => {
    expect(natsServers("nats://127.0.0.1:4222")).toEqual(["nats://127.0.0.1:4222"]);
  });
});
