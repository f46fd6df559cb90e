import { useEffect, useState } from 'preact/hooks';
import { DataTable } from '../../components/DataTable';
import { DeviceFilters, filterFromParams, filterToParams } from '../../components/DeviceFilters';
import { ErrorNote, Page, Status, number, plural, when } from '../../components/Bits';
import { Link } from '../../components/Link';
import { href, navigate, query } from '../../state/route';
import { canWrite } from '../../state/session';
import { BulkActions } from './BulkActions';
import { type Device, deviceCount, devicePage } from './device-query';
import { ImportDevices } from './ImportDevices';
import { RegisterDevice } from './RegisterDevice';

export const PAGE_SIZE = 50;

export function DevicesPage() {
  const params = query.value;
  const filter = filterFromParams(params);
  const cursor = params.get('cursor') ?? undefined;
  const pageNo = Number(params.get('page') ?? '1') || 1;
  const key = `${filterToParams(filter)}|${cursor ?? ''}`;
  const [rows, setRows] = useState<Device[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const filterKey = filterToParams(filter).toString();

  useEffect(() => {
    let live = true;
    setError(null);
    devicePage(filter, cursor, PAGE_SIZE)
      .then((page) => live && (setRows(page.items), setNext(page.nextCursor)))
      .catch((e: Error) => live && setError(e.message));
    return () => void (live = false);
  }, [key, reload]);
  useEffect(() => {
    let live = true;
    setTotal(null);
    deviceCount(filter)
      .then((n) => live && setTotal(n))
      .catch(() => undefined);
    return () => void (live = false);
  }, [filterKey, reload]);

  const applyFilter = (changed: typeof filter) => navigate(href('/devices', filterToParams(changed)));
  const nextPage = () => {
    const p = filterToParams(filter);
    p.set('cursor', next!);
    p.set('page', String(pageNo + 1));
    navigate(href('/devices', p));
  };
  const first = pageNo - 1;
  return (
    <Page
      title="Devices"
      actions={
        canWrite.value ? (
          <>
            <RegisterDevice onDone={() => setReload((n) => n + 1)} />
            <ImportDevices onDone={() => setReload((n) => n + 1)} />
          </>
        ) : (
          <p class="denied">Registering and importing need the operator role; you can read.</p>
        )
      }
    >
      <DeviceFilters value={filter} onChange={applyFilter} searchShortcut />
      <div class="list-head">
        <p class="total" aria-live="polite" data-testid="total">
          {total === null ? 'Counting…' : `${plural(total, 'device')}${Object.keys(filter).length ? ' match' : ''}`}
        </p>
        {total !== null && <BulkActions filter={filter} total={total} onDone={() => setReload((n) => n + 1)} />}
      </div>
      <ErrorNote error={error} />
      {rows && (
        <DataTable
          caption="Devices"
          rows={rows}
          rowKey={(d) => d.id}
          empty="No device matches these filters."
          columns={[
            { key: 'id', label: 'Id', sortValue: (d) => d.id, render: (d) => <Link href={href(`/devices/${encodeURIComponent(d.id)}`)}>{d.id}</Link> },
            { key: 'name', label: 'Name', sortValue: (d) => d.name ?? '', render: (d) => d.name ?? '—' },
            { key: 'type', label: 'Type', sortValue: (d) => d.type, render: (d) => d.type },
            { key: 'status', label: 'Status', sortValue: (d) => d.status, render: (d) => <Status status={d.status} /> },
            { key: 'firmware', label: 'Firmware', sortValue: (d) => d.firmwareVersion ?? '', render: (d) => d.firmwareVersion ?? '—' },
            { key: 'seen', label: 'Last seen', sortValue: (d) => d.lastSeenAt ?? '', render: (d) => when(d.lastSeenAt) },
            {
              key: 'tags',
              label: 'Tags',
              render: (d) =>
                Object.entries(d.tags as Record<string, string>).map(([k, v]) => (
                  <span class="tag" key={k}>
                    {k}:{v}
                  </span>
                )),
            },
          ]}
        />
      )}
      <nav class="pager" aria-label="Pages">
        {pageNo > 1 && (
          <button type="button" class="ghost" onClick={() => history.back()}>
            ← Previous page
          </button>
        )}
        {pageNo > 1 && <Link href={href('/devices', filterToParams(filter))}>First page</Link>}
        <span data-testid="page-range">
          {rows && rows.length > 0 ? `${number(first * PAGE_SIZE + 1)}–${number(first * PAGE_SIZE + rows.length)}` : ''}
          {total !== null ? ` of ${number(total)}` : ''}
        </span>
        {next && (
          <button type="button" onClick={nextPage}>
            Next page →
          </button>
        )}
      </nav>
    </Page>
  );
}
