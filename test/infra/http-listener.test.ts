import { describe, expect, it } from "vitest";
import { listenHttp, PortInUseError } from "../../infra/http-listener.ts";

describe("HTTP listener", () => {
  it("rejects a port another listener holds with the setting to change, instead of ending the process", async () => {
    const first = await listenHttp(() => new Response("first"), 0, { portSetting: "KILN_PORT" });
    try {
      const port = Number(new URL(first.url).port);
      const second = listenHttp(() => new Response("second"), port, { portSetting: "KILN_PORT" });
      await expect(second).rejects.toThrow(PortInUseError);
      await expect(second).rejects.toThrow(`port ${port} on 0.0.0.0 is in use by another process: stop it, or set KILN_PORT to another port`);
      expect(await (await fetch(first.url)).text()).toBe("first");
    } finally {
      await first.close();
    }
  });
});
