import type { Parser } from "./types";

// Placeholder until this format's parser lands: claims nothing, parses nothing.
export const iptablesSaveParser: Parser = {
  id: "iptables-save",
  title: "iptables-save",
  emits: [],
  sniff: () => 0,
  async *parse() {},
  samples: [],
};
