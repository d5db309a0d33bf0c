import type { Parser } from "./types";

// Placeholder until this format's parser lands: claims nothing, parses nothing.
export const klogParser: Parser = {
  id: "klog",
  title: "klog",
  emits: [],
  sniff: () => 0,
  async *parse() {},
  samples: [],
};
