import type { Parser } from "./types";

// Placeholder until this format's parser lands: claims nothing, parses nothing.
export const k8sEventsParser: Parser = {
  id: "k8s-events",
  title: "k8s-events",
  emits: [],
  sniff: () => 0,
  async *parse() {},
  samples: [],
};
