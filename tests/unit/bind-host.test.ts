import { describe, expect, it } from "vitest";
import { bindHost } from "../../scripts/bind-host.mjs";

describe("npm start's bind address", () => {
  it("with accounts on, HOSTNAME decides (unset or 0.0.0.0: all interfaces)", () => {
    expect(bindHost({}).host).toBeNull();
    expect(bindHost({ HOSTNAME: "0.0.0.0" }).host).toBeNull();
    expect(bindHost({ HOSTNAME: "10.1.2.3" }).host).toBe("10.1.2.3");
  });

  it("HINDSIGHT_AUTH=off binds to 127.0.0.1 and refuses any non-loopback HOSTNAME, loudly", () => {
    expect(bindHost({ HINDSIGHT_AUTH: "off" })).toEqual({ host: "127.0.0.1", authOff: true, warning: null });
    for (const HOSTNAME of ["0.0.0.0", "10.1.2.3", "my-container-id", "::"]) {
      const r = bindHost({ HINDSIGHT_AUTH: "off", HOSTNAME });
      expect(r.host, HOSTNAME).toBe("127.0.0.1");
      expect(r.warning, HOSTNAME).toMatch(/refusing HOSTNAME/);
    }
    expect(bindHost({ HINDSIGHT_AUTH: "OFF ", HOSTNAME: "localhost" })).toEqual({ host: "localhost", authOff: true, warning: null });
    expect(bindHost({ HINDSIGHT_AUTH: "off", HOSTNAME: "::1" }).host).toBe("::1");
  });
});
