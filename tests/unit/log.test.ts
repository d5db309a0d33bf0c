import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { audit } from "@/lib/server/audit";
import { log, logLevel } from "@/lib/server/log";

const ROOT = path.resolve(__dirname, "..", "..");

describe("the diagnostic log (lib/server/log.ts)", () => {
  it("takes its level from HINDSIGHT_LOG_LEVEL; info by default, silent under vitest", () => {
    expect(logLevel({ HINDSIGHT_LOG_LEVEL: "debug" })).toBe("debug");
    expect(logLevel({ HINDSIGHT_LOG_LEVEL: " WARN " })).toBe("warn");
    expect(logLevel({ HINDSIGHT_LOG_LEVEL: "debug", VITEST: "true" })).toBe("debug");
    expect(logLevel({})).toBe("info");
    expect(logLevel({ VITEST: "true" })).toBe("silent");
    expect(logLevel({ HINDSIGHT_LOG_LEVEL: "loud" })).toBe("info");
    expect(log.level).toBe(logLevel());
  });

  it("writes JSON lines to stderr, never stdout, and says so when the level is not one", () => {
    const script = 'const { log } = require("@/lib/server/log"); log.info({ runId: "r1" }, "hello"); log.debug("hidden");';
    const env = { ...process.env, VITEST: "", HINDSIGHT_LOG_LEVEL: "loud" };
    const r = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: ROOT, env, encoding: "utf8", timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({ level: 40, HINDSIGHT_LOG_LEVEL: "loud", msg: expect.stringContaining("not a level") }),
      expect.objectContaining({ level: 30, runId: "r1", msg: "hello", pid: expect.any(Number), time: expect.any(Number) }),
    ]);
  });

  it("audit events are warn lines marked audit, with their fields", () => {
    const warn = vi.spyOn(log, "warn");
    audit("sign-in.lockout", { account: "a@example.test", minutes: 60 });
    expect(warn).toHaveBeenCalledWith({ account: "a@example.test", minutes: 60, audit: true, event: "sign-in.lockout" }, "audit: sign-in.lockout");
    warn.mockRestore();
  });
});
