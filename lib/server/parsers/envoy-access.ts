import type { Parser } from "./types";

// Placeholder until this format's parser lands: claims nothing, parses nothing.
export const envoyAccessParser: Parser = {
  id: "envoy-access",
  title: "envoy-access",
  emits: [],
  sniff: () => 0,
  async *parse() {},
  samples: [],
};
