import { BlockList, isIP } from "node:net";

/**
 * Who is on the other end of a request, for rate limits (security rows 1 and 4).
 *
 * The only address nobody can choose is the TCP peer's. `scripts/server.mjs` writes it into
 * SOCKET_ADDRESS_HEADER on every request, replacing whatever a client sent under that name, so the
 * header is the server's own statement, not the client's. `X-Forwarded-For` is read only when the
 * operator said which peers are proxies (HINDSIGHT_TRUSTED_PROXIES), and then only as far back as
 * the chain of trusted proxies reaches: anything left of the first untrusted hop was written by the
 * client and could be anything.
 *
 *   HINDSIGHT_TRUSTED_PROXIES unset     the socket address; X-Forwarded-For is ignored
 *   HINDSIGHT_TRUSTED_PROXIES=2         exactly two proxies in front: the address two hops back
 *   HINDSIGHT_TRUSTED_PROXIES=10.0.0.0/8,127.0.0.1
 *                                       walk X-Forwarded-For from the right while the hop is one of
 *                                       these; the first address that is not is the client
 *
 * Without a socket address (a route handler called in-process, `next dev`), every request is
 * "unknown": one shared bucket, so limits still apply instead of vanishing.
 */
export const SOCKET_ADDRESS_HEADER = "x-hindsight-socket-address";
export const UNKNOWN_ADDRESS = "unknown";

export type ProxyTrust = { kind: "none" } | { kind: "hops"; hops: number } | { kind: "cidrs"; list: BlockList; text: string };

const cache = new Map<string, ProxyTrust>();

/** Parses HINDSIGHT_TRUSTED_PROXIES; a value that is neither a hop count nor a list of addresses/CIDRs is a configuration error. */
export function proxyTrust(env: Readonly<Record<string, string | undefined>> = process.env): ProxyTrust {
  const raw = (env.HINDSIGHT_TRUSTED_PROXIES ?? "").trim();
  const known = cache.get(raw);
  if (known) return known;
  let trust: ProxyTrust;
  if (raw === "" || raw === "0") trust = { kind: "none" };
  else if (/^\d+$/.test(raw)) trust = { kind: "hops", hops: Math.min(Number(raw), 16) };
  else {
    const list = new BlockList();
    for (const part of raw.split(",").map((p) => p.trim()).filter(Boolean)) {
      const [addr, bits, extra] = part.split("/");
      const address = normalise(addr ?? "");
      const family = isIP(address);
      const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
      if (!family || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
        throw new Error(`HINDSIGHT_TRUSTED_PROXIES: "${part}" is not an IP address or CIDR (expected a hop count or a comma-separated list such as 10.0.0.0/8,::1)`);
      }
      list.addSubnet(address, prefix, family === 6 ? "ipv6" : "ipv4");
    }
    trust = { kind: "cidrs", list, text: raw };
  }
  cache.set(raw, trust);
  return trust;
}

/** `::ffff:10.1.2.3` (an IPv4 peer on a dual-stack socket) → `10.1.2.3`; brackets and ports dropped. */
function normalise(raw: string): string {
  let a = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(a);
  if (bracketed) a = bracketed[1]!;
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(a)) a = a.slice(0, a.lastIndexOf(":"));
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(a);
  return (mapped ? mapped[1]! : a).toLowerCase();
}

function trusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 6 ? "ipv6" : "ipv4");
}

/** The client's address under the configured trust model (see the comment at the top). */
export function clientAddress(headers: Headers, env: Readonly<Record<string, string | undefined>> = process.env): string {
  const socket = normalise(headers.get(SOCKET_ADDRESS_HEADER) ?? "");
  if (!isIP(socket)) return UNKNOWN_ADDRESS;
  const trust = proxyTrust(env);
  if (trust.kind === "none") return socket;
  // Rightmost hop last: [client?, proxy1, …, socket]
  const forwarded = (headers.get("x-forwarded-for") ?? "").split(",").map(normalise).filter((a) => a !== "");
  const chain = [...forwarded, socket];
  if (trust.kind === "hops") {
    const i = chain.length - 1 - trust.hops;
    // Fewer hops than configured: the request did not come through all the proxies; its leftmost
    // entry is still the best anyone vouched for — but it must at least be an address.
    const at = Math.max(i, 0);
    return isIP(chain[at]!) ? chain[at]! : chain[at + 1]!;
  }
  let i = chain.length - 1;
  while (i > 0 && trusted(trust.list, chain[i]!)) {
    if (!isIP(chain[i - 1]!)) return chain[i]!; // garbage from the client side: stop at the last trusted hop
    i -= 1;
  }
  return chain[i]!;
}
