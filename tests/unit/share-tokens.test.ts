import { describe, expect, it } from "vitest";
import { hashToken, newToken, plausibleToken, shouldTouch } from "@/lib/server/auth/tokens";
import { withoutAppLinks } from "@/lib/server/services/shares";

describe("share and API tokens", () => {
  it("row 15: 32 random bytes as 43 base64url characters, all distinct, never sequential", () => {
    const tokens = Array.from({ length: 2000 }, () => newToken());
    expect(new Set(tokens).size).toBe(tokens.length);
    for (const t of tokens.slice(0, 50)) expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Every character position varies (a counter or timestamp prefix would not).
    // 256 bits = 42 characters × 6 bits + 4 bits in the last one.
    for (let i = 0; i < 42; i++) expect(new Set(tokens.map((t) => t[i])).size, `position ${i}`).toBeGreaterThan(50);
    expect(new Set(tokens.map((t) => t[42])).size).toBe(16);
    expect(Buffer.from(tokens[0]!, "base64url").length * 8).toBe(256);
  });

  it("only the hash is stored; it does not contain the token", () => {
    const t = newToken();
    expect(hashToken(t)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(t)).not.toContain(t);
    expect(hashToken(t)).toBe(hashToken(t));
  });

  it("only token-shaped strings reach the database", () => {
    expect(plausibleToken(newToken())).toBe(true);
    expect(plausibleToken("hst_" + newToken().slice(0), "hst_")).toBe(true);
    for (const bad of ["", ":token", "1", "a".repeat(42), "a".repeat(44), `${"a".repeat(42)}/`, `${"a".repeat(42)}=`, "x".repeat(5000)]) expect(plausibleToken(bad), bad).toBe(false);
  });

  it("last use is written at most once a minute", () => {
    const now = Date.now();
    expect(shouldTouch(null, now)).toBe(true);
    expect(shouldTouch(new Date(now - 10_000), now)).toBe(false);
    expect(shouldTouch(new Date(now - 61_000), now)).toBe(true);
  });
});

describe("shared draft", () => {
  it("keeps the text of links into the signed-in views and drops their targets", () => {
    const md = "- [nodes/a.txt:12](/incidents/cm123/timeline?file=nodes%2Fa.txt&line=12) at 10:00\n- [docs](https://example.org/x)";
    expect(withoutAppLinks(md)).toBe("- nodes/a.txt:12 at 10:00\n- [docs](https://example.org/x)");
  });
});

describe("share URL origin", () => {
  it("is the host the browser used, behind a proxy too, never a malformed Host", async () => {
    const { requestOrigin } = await import("@/lib/server/http/origin");
    const req = (headers: Record<string, string>) => new Request("http://localhost:3000/api/incidents/x/shares", { method: "POST", headers });
    expect(requestOrigin(req({ host: "10.0.0.5:3000", "x-forwarded-proto": "http" }))).toBe("http://10.0.0.5:3000");
    expect(requestOrigin(req({ host: "internal:3000", "x-forwarded-host": "hindsight.example.org", "x-forwarded-proto": "https" }))).toBe("https://hindsight.example.org");
    expect(requestOrigin(req({ host: "evil.example/x?y" }))).toBe("http://localhost:3000");
  });
});
