"use client";

import { createContext, useContext, type ReactNode } from "react";
import type { Role } from "@/lib/schemas/auth";

const RoleContext = createContext<Role | null>(null);

/** The signed-in user's role for client components (the server enforces it again on every call). */
export function RoleProvider({ role, children }: { role: Role | null; children: ReactNode }) {
  return <RoleContext.Provider value={role}>{children}</RoleContext.Provider>;
}

/** Editors and admins see edit controls; viewers and share-link visitors do not. */
export function useCanEdit(): boolean {
  const role = useContext(RoleContext);
  return role === "editor" || role === "admin";
}
