import { computed, signal } from '@preact/signals';

export const BASE = '/console';

/** The URL is the state of a view: filters, cursor and tab live in it, so reload and back work. */
export const location$ = signal(new URL(window.location.href));

window.addEventListener('popstate', () => (location$.value = new URL(window.location.href)));

/** The path below /console, e.g. `/devices/cam-1`. */
export const path = computed(() => location$.value.pathname.slice(BASE.length).replace(/\/+$/, '') || '/');
export const query = computed(() => location$.value.searchParams);

export function href(to: string, params?: URLSearchParams | Record<string, string | string[] | undefined>): string {
  const search = params instanceof URLSearchParams ? params : toParams(params ?? {});
  const text = search.toString();
  return `${BASE}${to === '/' ? '/' : to}${text ? `?${text}` : ''}`;
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = new URL(to, window.location.origin);
  if (url.href === window.location.href) return;
  if (options.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  location$.value = url;
  if (!options.replace) window.scrollTo(0, 0);
}

/** Replaces some query parameters of the current view (empty values are dropped). */
export function setQuery(changes: Record<string, string | string[] | undefined>, options: { replace?: boolean } = {}): void {
  const params = new URLSearchParams(location$.value.searchParams);
  for (const [key, value] of Object.entries(changes)) {
    params.delete(key);
    for (const v of Array.isArray(value) ? value : [value]) if (v) params.append(key, v);
  }
  navigate(`${location$.value.pathname}${params.size ? `?${params}` : ''}`, options);
}

function toParams(record: Record<string, string | string[] | undefined>): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(record)) for (const v of Array.isArray(value) ? value : [value]) if (v) params.append(key, v);
  return params;
}
