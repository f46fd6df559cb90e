import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

export interface Column<T> {
  key: string;
  label: string;
  /** The value sorted by; without it the column is not sortable. */
  sortValue?: (row: T) => string | number | null;
  render: (row: T) => ComponentChildren;
  numeric?: boolean;
}

/** A real <table>: sticky header, sortable columns announced with aria-sort, keyboard-operable sort buttons. */
export function DataTable<T>(props: { caption: string; columns: Column<T>[]; rows: T[]; rowKey: (row: T) => string; empty?: string; lead?: (row: T) => ComponentChildren; leadHeader?: ComponentChildren }) {
  const [sort, setSort] = useState<{ key: string; dir: 'ascending' | 'descending' } | null>(null);
  const column = sort && props.columns.find((c) => c.key === sort.key);
  const rows = column?.sortValue
    ? [...props.rows].sort((a, b) => {
        const x = column.sortValue!(a) ?? '';
        const y = column.sortValue!(b) ?? '';
        const order = x < y ? -1 : x > y ? 1 : 0;
        return sort!.dir === 'ascending' ? order : -order;
      })
    : props.rows;
  const toggle = (key: string) =>
    setSort((s) => (s?.key === key ? { key, dir: s.dir === 'ascending' ? 'descending' : 'ascending' } : { key, dir: 'ascending' }));
  return (
    <div class="table-wrap">
      <table>
        <caption class="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            {props.lead && <th scope="col">{props.leadHeader}</th>}
            {props.columns.map((c) => (
              <th key={c.key} scope="col" class={c.numeric ? 'num' : undefined} aria-sort={c.sortValue ? (sort?.key === c.key ? sort.dir : 'none') : undefined}>
                {c.sortValue ? (
                  <button type="button" class="sort" onClick={() => toggle(c.key)}>
                    {c.label}
                    <span aria-hidden="true">{sort?.key === c.key ? (sort.dir === 'ascending' ? ' ▲' : ' ▼') : ' ↕'}</span>
                  </button>
                ) : (
                  c.label
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={props.columns.length + (props.lead ? 1 : 0)} class="empty">
                {props.empty ?? 'Nothing here.'}
              </td>
            </tr>
          ) : (
            rows.map((row) => (
              <tr key={props.rowKey(row)}>
                {props.lead && <td>{props.lead(row)}</td>}
                {props.columns.map((c) => (
                  <td key={c.key} class={c.numeric ? 'num' : undefined}>
                    {c.render(row)}
                  </td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}
