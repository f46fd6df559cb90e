import { useEffect, useRef, useState } from 'preact/hooks';

/** The device list filters of the API; the same controls pick a rollout's targets (no query language). */
export interface DeviceFilter {
  q?: string;
  type?: string;
  status?: string;
  firmware?: string;
  group?: string;
  tag?: string[];
}

export const FILTER_KEYS = ['q', 'type', 'status', 'firmware', 'group', 'tag'] as const;

export function filterFromParams(params: URLSearchParams): DeviceFilter {
  const filter: DeviceFilter = {};
  for (const key of ['q', 'type', 'status', 'firmware', 'group'] as const) {
    const value = params.get(key);
    if (value) filter[key] = value;
  }
  const tags = params.getAll('tag').filter(Boolean);
  if (tags.length) filter.tag = tags;
  return filter;
}

export function filterToParams(filter: DeviceFilter): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of ['q', 'type', 'status', 'firmware', 'group'] as const) if (filter[key]) params.set(key, filter[key]!);
  for (const tag of filter.tag ?? []) params.append('tag', tag);
  return params;
}

/**
 * Text fields apply when the operator stops typing (400 ms) or presses Enter; `/` anywhere
 * outside a field focuses the search box.
 */
export function DeviceFilters(props: { value: DeviceFilter; onChange: (filter: DeviceFilter) => void; searchShortcut?: boolean; idPrefix?: string }) {
  const id = props.idPrefix ?? 'f';
  const [draft, setDraft] = useState(props.value);
  const search = useRef<HTMLInputElement>(null);
  useEffect(() => setDraft(props.value), [JSON.stringify(props.value)]);
  const typing = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(typing.current), []);
  const apply = (filter: DeviceFilter) => {
    clearTimeout(typing.current);
    if (JSON.stringify(clean(filter)) !== JSON.stringify(clean(props.value))) props.onChange(clean(filter));
  };
  useEffect(() => {
    if (!props.searchShortcut) return;
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement;
      if (event.key !== '/' || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) || target.isContentEditable) return;
      event.preventDefault();
      search.current?.focus();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [props.searchShortcut]);
  const set = (key: keyof DeviceFilter, value: string) => {
    const next = { ...draft, [key]: key === 'tag' ? value.split(/[\s,]+/).filter(Boolean) : value };
    setDraft(next);
    clearTimeout(typing.current);
    typing.current = setTimeout(() => apply(next), 400);
  };
  // Not a <form>: these controls also sit inside the rollout wizard's form, and forms do not nest.
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Enter' || (event.target as HTMLElement).tagName !== 'INPUT') return;
    event.preventDefault();
    apply(draft);
  };
  return (
    <div class="filters" role="search" onKeyDown={onKeyDown}>
      <label>
        Search {props.searchShortcut && <kbd title="press / to search">/</kbd>}
        <input id={`${id}-q`} ref={search} type="search" name="q" value={draft.q ?? ''} placeholder="id or name" onInput={(e) => set('q', e.currentTarget.value)} />
      </label>
      <label>
        Type
        <input id={`${id}-type`} name="type" value={draft.type ?? ''} onInput={(e) => set('type', e.currentTarget.value)} />
      </label>
      <label>
        Status
        <select id={`${id}-status`} name="status" value={draft.status ?? ''} onChange={(e) => apply({ ...draft, status: e.currentTarget.value })}>
          <option value="">any</option>
          <option value="online">online</option>
          <option value="offline">offline</option>
        </select>
      </label>
      <label>
        Firmware
        <input id={`${id}-firmware`} name="firmware" value={draft.firmware ?? ''} onInput={(e) => set('firmware', e.currentTarget.value)} />
      </label>
      <label>
        Group
        <input id={`${id}-group`} name="group" value={draft.group ?? ''} placeholder="name or id" onInput={(e) => set('group', e.currentTarget.value)} />
      </label>
      <label>
        Tags
        <input id={`${id}-tag`} name="tag" value={(draft.tag ?? []).join(' ')} placeholder="site:syd rack:4" onInput={(e) => set('tag', e.currentTarget.value)} />
      </label>
      <button type="button" class="ghost" onClick={() => apply(draft)}>
        Apply
      </button>
    </div>
  );
}

function clean(filter: DeviceFilter): DeviceFilter {
  const out: DeviceFilter = {};
  for (const key of ['q', 'type', 'status', 'firmware', 'group'] as const) {
    const value = filter[key]?.trim();
    if (value) out[key] = value;
  }
  if (filter.tag?.length) out.tag = filter.tag;
  return out;
}
