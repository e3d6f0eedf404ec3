import { useEffect, useMemo, useState } from 'react';
import { getJson, type Query } from './api';

export interface ApiState<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
}

/** GETs `path` with `query`; refetches when either changes (or every `refreshMs`). Keeps the last data while refetching. */
export function useApi<T>(path: string | null, query: Query = {}, refreshMs?: number): ApiState<T> & { reload(): void } {
  const [state, setState] = useState<ApiState<T>>({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  const key = JSON.stringify(query);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for `query`; `tick` forces a reload
  useEffect(() => {
    if (!path) return;
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    getJson<T>(path, JSON.parse(key) as Query, controller.signal)
      .then((data) => setState({ data, error: null, loading: false }))
      .catch((error: unknown) => {
        if ((error as Error).name === 'AbortError') return;
        setState({ data: null, error, loading: false });
      });
    return () => controller.abort();
  }, [path, key, tick]);

  useEffect(() => {
    if (!refreshMs) return;
    const timer = setInterval(() => setTick((t) => t + 1), refreshMs);
    return () => clearInterval(timer);
  }, [refreshMs]);

  return { ...state, reload: () => setTick((t) => t + 1) };
}

/** The current path, updated by `navigate` and the back button (a tiny router for four pages). */
export function usePath(): string {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const onPop = () => setPath(window.location.pathname);
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  return path;
}

export function navigate(to: string): void {
  if (to === window.location.pathname + window.location.search) return;
  window.history.pushState(null, '', to);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

/** Merchant names by id from the merchant dimension (`GET /api/v1/merchants`); empty until loaded or when not offered. */
export function useMerchantNames(): Map<string, string> {
  const state = useApi<{ items?: { merchant_id: string; name: string }[] }>('/api/v1/merchants');
  const items = state.data?.items;
  return useMemo(() => new Map((items ?? []).map((m) => [m.merchant_id, m.name])), [items]);
}
