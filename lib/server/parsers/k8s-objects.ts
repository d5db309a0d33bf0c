import type { Parser } from "./types";

// Placeholder until this format's parser lands: claims nothing, parses nothing.
export const k8sObjectsParser: Parser = {
  id: "k8s-objects",
  title: "k8s-objects",
  emits: [],
  sniff: () => 0,
  async *parse() {},
  samples: [],
};
