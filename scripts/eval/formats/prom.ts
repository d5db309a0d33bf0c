/**
 * Prometheus HTTP API `query_range` responses (what lib/server/parsers/prometheus.ts reads; real
 * samples in ../shared/fixtures/real/prometheus): `{"status":"success","data":{"resultType":"matrix",
 * "result":[{"metric":{…},"values":[[<unix s>,"<value>"],…]}]}}`, one file per metric.
 */

export interface PromSeries {
  labels: Record<string, string>;
  /** [UTC epoch ms, value]; NaN is written as Prometheus does ("NaN"). */
  points: Array<[number, number]>;
}

/** A sample value as Prometheus prints it: shortest round-trip text, NaN/±Inf by name. */
export function promNumber(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  // Prometheus prints float64 in full; the generator rounds to 6 significant digits to keep files small.
  return String(Number(v.toPrecision(6)));
}

/** Unix seconds as Prometheus writes them: integers on a step grid, else with milliseconds. */
const promTs = (ms: number) => (ms % 1000 === 0 ? ms / 1000 : Math.round(ms) / 1000);

export function queryRange(name: string, series: readonly PromSeries[], opts: { pretty?: boolean } = {}): string {
  const body = {
    status: "success",
    data: {
      resultType: "matrix",
      result: series.map((s) => ({ metric: { __name__: name, ...s.labels }, values: s.points.map(([t, v]) => [promTs(t), promNumber(v)]) })),
    },
  };
  return `${JSON.stringify(body, null, opts.pretty ? 1 : undefined)}\n`;
}
