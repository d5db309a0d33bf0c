/**
 * A Bloom filter of the trace ids in one block of a summarised span file (EvidenceBlock.traces):
 * opening a trace's waterfall materialises only the blocks that may hold its spans. 16 bits per id
 * and 4 probes give about 0.2 % false positives — a 1 GB OTLP file has ~1,400 blocks, so a lookup
 * re-parses the trace's own blocks and maybe two or three others. Double hashing over two FNV-1a
 * variants (Kirsch–Mitzenmacher).
 */
const BITS_PER_ID = 16;
const PROBES = 4;

function hashes(id: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return [a >>> 0, (b | 1) >>> 0];
}

export function buildTraceBloom(ids: Iterable<string>): Buffer {
  const unique = new Set(ids);
  const bits = Math.max(64, Math.ceil((unique.size * BITS_PER_ID) / 8) * 8);
  const out = Buffer.alloc(bits / 8);
  for (const id of unique) {
    const [h1, h2] = hashes(id);
    for (let k = 0; k < PROBES; k++) {
      const bit = (h1 + k * h2) % bits;
      out[bit >>> 3]! |= 1 << (bit & 7);
    }
  }
  return out;
}

export function traceBloomHas(bloom: Uint8Array, id: string): boolean {
  const bits = bloom.length * 8;
  if (bits === 0) return false;
  const [h1, h2] = hashes(id);
  for (let k = 0; k < PROBES; k++) {
    const bit = (h1 + k * h2) % bits;
    if ((bloom[bit >>> 3]! & (1 << (bit & 7))) === 0) return false;
  }
  return true;
}
