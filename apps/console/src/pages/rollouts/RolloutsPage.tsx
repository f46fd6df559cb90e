import { api, must } from '../../api/client';
import { DataTable } from '../../components/DataTable';
import { ErrorNote, Page, Status, number, when } from '../../components/Bits';
import { Link } from '../../components/Link';
import { usePolling } from '../../state/poll';
import { href, query, setQuery } from '../../state/route';
import { canWrite } from '../../state/session';
import { stateInWords } from '../rollout/rollout-words';

const STATES = ['', 'scheduled', 'running', 'paused', 'completed', 'aborted', 'cancelled'] as const;

export function RolloutsPage() {
  const state = query.value.get('state') ?? '';
  const list = usePolling(() => must(api.GET('/api/v1/rollouts', { params: { query: { limit: 100, ...(state ? { state: state as 'running' } : {}) } } })), 5_000, [state]);
  return (
    <Page
      title="Rollouts"
      actions={
        canWrite.value ? (
          <Link class="button-link" href={href('/rollouts/new')}>
            New rollout
          </Link>
        ) : (
          <p class="denied">Creating rollouts needs the operator role.</p>
        )
      }
    >
      <label>
        State
        <select value={state} onChange={(e) => setQuery({ state: e.currentTarget.value })}>
          {STATES.map((s) => (
            <option key={s} value={s}>
              {s || 'any'}
            </option>
          ))}
        </select>
      </label>
      <ErrorNote error={list.error} />
      <DataTable
        caption="Rollouts"
        rows={list.data?.items ?? []}
        rowKey={(r) => r.id}
        empty="No rollout."
        columns={[
          { key: 'name', label: 'Name', sortValue: (r) => r.name, render: (r) => <Link href={href(`/rollouts/${r.id}`)}>{r.name}</Link> },
          { key: 'state', label: 'State', sortValue: (r) => r.state, render: (r) => <Status status={r.state} /> },
          { key: 'words', label: 'Progress', render: (r) => stateInWords(r) },
          { key: 'targets', label: 'Devices', numeric: true, sortValue: (r) => r.targetCount, render: (r) => number(r.targetCount) },
          { key: 'created', label: 'Created', sortValue: (r) => r.createdAt, render: (r) => when(r.createdAt) },
        ]}
      />
    </Page>
  );
}
