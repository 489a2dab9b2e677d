import { safe } from './safe.js';

/**
 * Observes one performance entry type (buffered, so entries from before
 * `init()` count) and calls `fn` with every batch. Feature-detected and
 * guarded: an unsupported type is a no-op, never an exception.
 */
export const observe = (
  type: string,
  fn: (entries: any[]) => void,
  opts?: Record<string, unknown>,
): boolean => {
  try {
    if (!PerformanceObserver.supportedEntryTypes.includes(type)) return false;
    new PerformanceObserver(safe((l: PerformanceObserverEntryList) => fn(l.getEntries()))).observe({
      type,
      buffered: true,
      ...opts,
    });
    return true;
  } catch {
    return false;
  }
};
