import type { Parser } from "./types";

// Placeholder until this format's parser lands: claims nothing, parses nothing.
export const prometheusParser: Parser = {
  id: "prometheus",
  title: "prometheus",
  emits: [],
  sniff: () => 0,
  async *parse() {},
  samples: [],
};
