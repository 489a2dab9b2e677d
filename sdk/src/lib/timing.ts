import { round } from './round.js';

/** Phase timings (ms) and sizes (bytes) of a resource or navigation entry. */
export const timing = (e: PerformanceResourceTiming) => ({
  duration: round(e.duration),
  dns: round(e.domainLookupEnd - e.domainLookupStart),
  connect: round(e.connectEnd - e.connectStart),
  tls: e.secureConnectionStart > 0 ? round(e.connectEnd - e.secureConnectionStart) : undefined,
  ttfb: e.responseStart ? round(e.responseStart - (e.requestStart || e.startTime)) : undefined,
  download: e.responseStart ? round(e.responseEnd - e.responseStart) : undefined,
  transfer_size: e.transferSize,
  encoded_size: e.encodedBodySize,
  decoded_size: e.decodedBodySize,
});
