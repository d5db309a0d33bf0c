import type { Parser } from "./types";

// Placeholder until this format's parser lands: claims nothing, parses nothing.
export const jaegerJsonParser: Parser = {
  id: "jaeger-json",
  title: "jaeger-json",
  emits: [],
  sniff: () => 0,
  async *parse() {},
  samples: [],
};
