import type { Parser } from "./types";

// Placeholder until this format's parser lands: claims nothing, parses nothing.
export const conntrackStatsParser: Parser = {
  id: "conntrack-stats",
  title: "conntrack-stats",
  emits: [],
  sniff: () => 0,
  async *parse() {},
  samples: [],
};
