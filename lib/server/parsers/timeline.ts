import type { Parser } from "./types";

// Placeholder until this format's parser lands: claims nothing, parses nothing.
export const timelineParser: Parser = {
  id: "timeline",
  title: "timeline",
  emits: [],
  sniff: () => 0,
  async *parse() {},
  samples: [],
};
