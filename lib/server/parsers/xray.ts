import type { Parser } from "./types";

// Placeholder until this format's parser lands: claims nothing, parses nothing.
export const xrayParser: Parser = {
  id: "xray",
  title: "xray",
  emits: [],
  sniff: () => 0,
  async *parse() {},
  samples: [],
};
