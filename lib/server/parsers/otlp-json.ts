import type { Parser } from "./types";

// Placeholder until this format's parser lands: claims nothing, parses nothing.
export const otlpJsonParser: Parser = {
  id: "otlp-json",
  title: "otlp-json",
  emits: [],
  sniff: () => 0,
  async *parse() {},
  samples: [],
};
