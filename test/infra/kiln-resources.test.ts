import { getSha256Backend } from "@nats-io/obj";
import { describe, expect, it } from "vitest";
import { openKilnResources } from "../../infra/kiln-resources.ts";
import { startTestNats } from "../helpers/nats.ts";

describe("openKilnResources", () => {
  it("checks object-store digests with the runtime's SHA-256, and objects still round-trip whole", async () => {
    await using nats = await startTestNats();
    const resources = await openKilnResources(await nats.connect());
    expect(getSha256Backend()).toBe("native");
    const blob = new Uint8Array(3 * 2 ** 20 + 17);
    for (let at = 0; at < blob.byteLength; at += 65_536) crypto.getRandomValues(blob.subarray(at, at + 65_536));
    await resources.artifacts.putBlob({ name: "t/w/digest-check" }, blob);
    const info = await resources.artifacts.info("t/w/digest-check");
    const expected = new Uint8Array(await crypto.subtle.digest("SHA-256", blob));
    expect(info?.digest).toBe(`SHA-256=${Buffer.from(expected).toString("base64url")}=`);
    // Compared as one buffer: a deep equality over 3 million elements takes the test runner seconds.
    const read = await resources.artifacts.getBlob("t/w/digest-check");
    expect(read && Buffer.from(read).equals(blob)).toBe(true);
  });
});
