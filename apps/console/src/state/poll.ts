import { useEffect, useState } from 'preact/hooks';

/** Loads now and again every `everyMs` while the view is shown; `reload()` loads at once. */
export function usePolling<T>(load: () => Promise<T>, everyMs: number, deps: unknown[]): { data: T | null; error: string | null; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const value = await load();
        if (!live) return;
        setData(value);
        setError(null);
      } catch (e) {
        if (live) setError((e as Error).message);
      }
      if (live && everyMs > 0) timer = setTimeout(run, everyMs);
    };
    void run();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [...deps, tick]);
  return { data, error, reload: () => setTick((n) => n + 1) };
}
