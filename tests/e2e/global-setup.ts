import fs from "node:fs";
import path from "node:path";
import { request, type FullConfig } from "@playwright/test";
import { ADMIN } from "./auth-helpers";

/**
 * Accounts are on by default: the first start asks for an admin. This creates it through
 * POST /api/setup (as the /setup page does) and saves its session cookie for every test
 * (use.storageState), so specs written before accounts existed keep working unchanged.
 */
export default async function globalSetup(config: FullConfig): Promise<void> {
  const { baseURL, storageState } = config.projects[0]!.use;
  if (typeof storageState !== "string") throw new Error("playwright.config.ts: use.storageState must be a file path");
  const ctx = await request.newContext({ baseURL });
  const res = await ctx.post("/api/setup", { data: ADMIN });
  if (res.status() === 409) {
    const signIn = await ctx.post("/api/auth/sign-in/email", { data: { email: ADMIN.email, password: ADMIN.password } });
    if (!signIn.ok()) throw new Error(`admin sign-in failed: ${signIn.status()} ${await signIn.text()}`);
  } else if (res.status() !== 201) {
    throw new Error(`setup failed: ${res.status()} ${await res.text()}`);
  }
  // Specs that run the CLI (`hindsight upload`) authenticate with an API token; workers and the
  // processes they spawn inherit HINDSIGHT_TOKEN from here.
  const token = await ctx.post("/api/tokens", { data: { name: "e2e CLI" } });
  if (token.status() !== 201) throw new Error(`API token failed: ${token.status()} ${await token.text()}`);
  process.env.HINDSIGHT_TOKEN = ((await token.json()) as { token: string }).token;
  fs.mkdirSync(path.dirname(storageState), { recursive: true });
  await ctx.storageState({ path: storageState });
  await ctx.dispose();
}
