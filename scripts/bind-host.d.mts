export function bindHost(env?: Record<string, string | undefined>): { host: string | null; authOff: boolean; warning: string | null };
