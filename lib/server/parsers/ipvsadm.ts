import type { Parser } from "./types";

// Placeholder until this format's parser lands: claims nothing, parses nothing.
export const ipvsadmParser: Parser = {
  id: "ipvsadm",
  title: "ipvsadm",
  emits: [],
  sniff: () => 0,
  async *parse() {},
  samples: [],
};
