import type { Parser } from "./types";

// Placeholder until this format's parser lands: claims nothing, parses nothing.
export const nginxAccessParser: Parser = {
  id: "nginx-access",
  title: "nginx-access",
  emits: [],
  sniff: () => 0,
  async *parse() {},
  samples: [],
};
