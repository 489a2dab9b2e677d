import { useCallback, useEffect, useState } from 'preact/hooks';
import { api } from './api';

export interface Query<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
}

/**
 * GETs `path` (under /api/v1) whenever it or `epoch` (see router.refresh)
 * changes; `null` fetches nothing.
 */
export function useApi<T>(path: string | null, epoch = 0): Query<T> {
  const [state, setState] = useState<{ key: string | null; path?: string; data?: T; error?: Error }>({ key: null });
  const [tick, setTick] = useState(0);
  const key = path == null ? null : `${epoch}.${tick} ${path}`;
  useEffect(() => {
    if (path == null) return;
    const ctl = new AbortController();
    api<T>(path, { signal: ctl.signal }).then(
      (data) => {
        if (!ctl.signal.aborted) setState({ key, path, data });
      },
      (error: unknown) => {
        if (ctl.signal.aborted) return;
        setState({ key, path, error: error instanceof Error ? error : new Error(String(error)) });
      },
    );
    return () => ctl.abort();
  }, [key]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const fresh = state.key === key;
  // a reload or refresh of the same path keeps showing the old answer until the new one lands
  const stale = !fresh && path != null && state.path === path;
  return {
    data: fresh || stale ? state.data : undefined,
    error: fresh ? state.error : undefined,
    loading: path != null && !fresh,
    reload,
  };
}
