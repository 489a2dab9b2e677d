import { useCallback, useEffect, useState } from 'preact/hooks';
import { api } from './api';

export interface Query<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
}

/** GETs `path` (under /api/v1) whenever it changes; `null` fetches nothing. */
export function useApi<T>(path: string | null): Query<T> {
  const [state, setState] = useState<{ path: string | null; data?: T; error?: Error }>({ path: null });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path == null) return;
    const ctl = new AbortController();
    api<T>(path, { signal: ctl.signal }).then(
      (data) => {
        if (!ctl.signal.aborted) setState({ path, data });
      },
      (error: unknown) => {
        if (ctl.signal.aborted) return;
        setState({ path, error: error instanceof Error ? error : new Error(String(error)) });
      },
    );
    return () => ctl.abort();
  }, [path, tick]);
  const reload = useCallback(() => {
    setState((s) => ({ path: null, data: s.data }));
    setTick((t) => t + 1);
  }, []);
  const fresh = state.path === path;
  return {
    data: fresh ? state.data : undefined,
    error: fresh ? state.error : undefined,
    loading: path != null && !fresh,
    reload,
  };
}
