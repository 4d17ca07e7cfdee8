/** Reading the Prometheus text the services serve on `/metrics`. */

/** One sample's value, 0 when the series is not there yet (a counter nothing has moved). */
export function sampleValue(text: string, series: string): number {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}
