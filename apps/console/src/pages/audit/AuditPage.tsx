import { useState } from 'preact/hooks';
import { api, must } from '../../api/client';
import { DataTable } from '../../components/DataTable';
import { ErrorNote, Page, Progress, csvLine, downloadText, when } from '../../components/Bits';
import { usePolling } from '../../state/poll';
import { query, setQuery } from '../../state/route';

const FIELDS = ['resourceType', 'resourceId', 'actorId', 'action', 'since', 'until'] as const;
type AuditQuery = Partial<Record<(typeof FIELDS)[number] | 'cursor', string>>;

function fromUrl(params: URLSearchParams): AuditQuery {
  const q: AuditQuery = {};
  for (const key of [...FIELDS, 'cursor'] as const) if (params.get(key)) q[key] = params.get(key)!;
  return q;
}

/** Filters live in the URL; CSV export walks every page of the current filter. */
export function AuditPage() {
  const q = fromUrl(query.value);
  const key = JSON.stringify(q);
  const page = usePolling(() => must(api.GET('/api/v1/audit', { params: { query: { ...q, limit: 100 } as never } })), 0, [key]);
  const [exporting, setExporting] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const exportCsv = async () => {
    setError(null);
    const lines = [csvLine(['id', 'at', 'actorId', 'actorName', 'action', 'resourceType', 'resourceId', 'before', 'after'])];
    let cursor: string | undefined;
    try {
      do {
        const p = await must(api.GET('/api/v1/audit', { params: { query: { ...q, cursor, limit: 1000 } as never } }));
        for (const e of p.items) lines.push(csvLine([e.id, e.at, e.actorId, e.actorName, e.action, e.resourceType, e.resourceId, e.before, e.after]));
        setExporting(lines.length - 1);
        cursor = p.nextCursor ?? undefined;
      } while (cursor);
      downloadText('audit.csv', lines.join('\n') + '\n');
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setExporting(null);
    }
  };
  const submit = (event: Event) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const changes: Record<string, string | undefined> = { cursor: undefined };
    for (const f of FIELDS) {
      const v = String(data.get(f) ?? '').trim();
      changes[f] = v && (f === 'since' || f === 'until') ? new Date(v).toISOString() : v || undefined;
    }
    setQuery(changes);
  };
  const local = (iso?: string) => (iso ? new Date(new Date(iso).getTime() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16) : '');
  return (
    <Page title="Audit log" actions={<button type="button" onClick={exportCsv} disabled={exporting !== null}>Export CSV</button>}>
      <form class="filters" key={key} onSubmit={submit}>
        <label>Resource type<input name="resourceType" defaultValue={q.resourceType} /></label>
        <label>Resource id<input name="resourceId" defaultValue={q.resourceId} /></label>
        <label>Actor (key id)<input name="actorId" defaultValue={q.actorId} /></label>
        <label>Action<input name="action" defaultValue={q.action} /></label>
        <label>Since<input name="since" type="datetime-local" defaultValue={local(q.since)} /></label>
        <label>Until<input name="until" type="datetime-local" defaultValue={local(q.until)} /></label>
        <button type="submit" class="ghost">Apply</button>
      </form>
      {exporting !== null && <Progress label="Exported entries" done={exporting} total={exporting} />}
      <ErrorNote error={error ?? page.error} />
      <DataTable
        caption="Audit entries"
        rows={page.data?.items ?? []}
        rowKey={(e) => e.id}
        empty="No entry matches."
        columns={[
          { key: 'at', label: 'When', sortValue: (e) => e.at, render: (e) => when(e.at) },
          { key: 'who', label: 'Who', sortValue: (e) => e.actorName, render: (e) => e.actorName },
          { key: 'action', label: 'Action', sortValue: (e) => e.action, render: (e) => e.action },
          { key: 'what', label: 'Resource', render: (e) => `${e.resourceType} ${e.resourceId}` },
        ]}
      />
      {page.data?.nextCursor && (
        <nav class="pager" aria-label="Pages">
          <button type="button" onClick={() => setQuery({ cursor: page.data!.nextCursor! })}>Older entries →</button>
        </nav>
      )}
    </Page>
  );
}
