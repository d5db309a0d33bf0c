import type { Parser } from "./types";

// Placeholder until this format's parser lands: claims nothing, parses nothing.
export const ztunnelAccessParser: Parser = {
  id: "ztunnel-access",
  title: "ztunnel-access",
  emits: [],
  sniff: () => 0,
  async *parse() {},
  samples: [],
};
