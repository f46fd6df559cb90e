import { useState } from 'preact/hooks';
import { api, errorText, must } from '../../api/client';
import { DataTable } from '../../components/DataTable';
import { Denied, ErrorNote, LiveMark, Page, Status, when } from '../../components/Bits';
import { Link } from '../../components/Link';
import { usePolling } from '../../state/poll';
import { href } from '../../state/route';
import { canWrite, writeDenied } from '../../state/session';
import { flatten } from './twin-diff';

const LIVE_MS = 1_500;

export function DevicePage(props: { id: string }) {
  const id = props.id;
  const device = usePolling(() => must(api.GET('/api/v1/devices/{id}', { params: { path: { id } } })), LIVE_MS, [id]);
  const twin = usePolling(() => must(api.GET('/api/v1/devices/{id}/twin', { params: { path: { id } } })), LIVE_MS, [id]);
  const jobs = usePolling(() => must(api.GET('/api/v1/devices/{id}/jobs', { params: { path: { id }, query: { limit: 50 } } })), 5_000, [id]);
  const audit = usePolling(() => must(api.GET('/api/v1/audit', { params: { query: { resourceType: 'device', resourceId: id, limit: 20 } } })), 10_000, [id]);
  const d = device.data;
  const t = twin.data;
  const desired = flatten(t?.desired ?? {});
  const reported = flatten(t?.reported ?? {});
  const delta = flatten(t?.delta ?? {});
  const keys = [...new Set([...Object.keys(desired), ...Object.keys(reported)])].sort();
  return (
    <Page title={`Device ${id}`} actions={<LiveMark state={device.error ? 'reconnecting' : d ? 'live' : 'connecting'} />}>
      <ErrorNote error={device.error} />
      {d && (
        <dl class="facts">
          <dt>Name</dt>
          <dd>{d.name ?? '—'}</dd>
          <dt>Type</dt>
          <dd>{d.type}</dd>
          <dt>Presence</dt>
          <dd data-testid="presence">
            <Status status={d.status} /> last seen {when(d.lastSeenAt)}
          </dd>
          <dt>Firmware</dt>
          <dd>{d.firmwareVersion ?? '—'}</dd>
          <dt>Tags</dt>
          <dd>{Object.entries(d.tags as Record<string, string>).map(([k, v]) => `${k}:${v}`).join(' ') || '—'}</dd>
          <dt>Registered</dt>
          <dd>{when(d.createdAt)}</dd>
        </dl>
      )}
      <h2>Desired and reported state</h2>
      {t && (
        <>
          <p>
            desired version {t.desiredVersion} · reported version {t.reportedVersion} · {Object.keys(delta).length ? <span class="delta">{Object.keys(delta).length} key(s) not yet reported as desired</span> : 'in sync'}
          </p>
          <DataTable
            caption="Desired and reported state"
            rows={keys}
            rowKey={(k) => k}
            empty="No state yet."
            columns={[
              { key: 'path', label: 'Key', sortValue: (k) => k, render: (k) => (k in delta ? <span class="delta" title="differs">Δ {k}</span> : k) },
              { key: 'desired', label: 'Desired', render: (k) => (k in desired ? <code>{JSON.stringify(desired[k])}</code> : '—') },
              { key: 'reported', label: 'Reported', render: (k) => <code data-testid={`reported-${k}`}>{k in reported ? JSON.stringify(reported[k]) : '—'}</code> },
            ]}
          />
          <DesiredEditor id={id} version={t.desiredVersion} onSaved={twin.reload} />
        </>
      )}
      <h2>Jobs across rollouts</h2>
      <DataTable
        caption="Jobs"
        rows={jobs.data?.items ?? []}
        rowKey={(j) => j.jobId}
        empty="No rollout has reached this device."
        columns={[
          { key: 'rollout', label: 'Rollout', sortValue: (j) => j.rolloutName, render: (j) => <Link href={href(`/rollouts/${j.rolloutId}`)}>{j.rolloutName}</Link> },
          { key: 'type', label: 'Type', render: (j) => j.rolloutType },
          { key: 'status', label: 'Job', sortValue: (j) => j.status, render: (j) => <Status status={j.status} /> },
          { key: 'attempts', label: 'Attempts', numeric: true, render: (j) => j.attempts },
          { key: 'error', label: 'Last error', render: (j) => j.lastError ?? '—' },
          { key: 'updated', label: 'Changed', sortValue: (j) => j.updatedAt, render: (j) => when(j.updatedAt) },
        ]}
      />
      <h2>Audit</h2>
      <DataTable
        caption="Audit entries of this device"
        rows={audit.data?.items ?? []}
        rowKey={(e) => e.id}
        columns={[
          { key: 'at', label: 'When', sortValue: (e) => e.at, render: (e) => when(e.at) },
          { key: 'who', label: 'Who', render: (e) => e.actorName },
          { key: 'action', label: 'Action', render: (e) => e.action },
        ]}
      />
    </Page>
  );
}

/**
 * A JSON merge patch on desired state, sent with If-Match: the version shown when the operator
 * started typing. A change made meanwhile by someone else is shown as a conflict, not overwritten.
 */
function DesiredEditor(props: { id: string; version: number; onSaved: () => void }) {
  const [text, setText] = useState('{\n  \n}');
  const [base, setBase] = useState<number | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (!canWrite.value) return <Denied reason={`${writeDenied.value} Editing desired state is disabled.`} />;
  const basedOn = base ?? props.version;
  const save = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setMessage(null);
    let patch: Record<string, unknown>;
    try {
      patch = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      setError(`Not JSON: ${(e as Error).message}`);
      return;
    }
    const { response, error: failure, data } = await api.PATCH('/api/v1/devices/{id}/twin/desired', {
      params: { path: { id: props.id } },
      body: patch,
      headers: { 'if-match': `"${basedOn}"` },
    });
    if (response.status === 412) {
      setError(`Conflict: desired state changed after version ${basedOn}; nothing was saved. The table above now shows the current state: save again to apply your patch on top of it.`);
      setBase(null);
      props.onSaved();
      return;
    }
    if (!response.ok) {
      setError(errorText(failure, response));
      return;
    }
    setBase(null);
    setMessage(`Saved: desired version ${data!.desiredVersion}. The device gets it now.`);
    props.onSaved();
  };
  return (
    <form onSubmit={save} class="editor">
      <label>
        Change desired state (JSON merge patch; null removes a key) — based on version {basedOn}
        <textarea
          rows={6}
          name="desired-patch"
          value={text}
          onInput={(e) => {
            setText(e.currentTarget.value);
            setBase((b) => b ?? props.version);
          }}
        />
      </label>
      <ErrorNote error={error} />
      {message && <p role="status">{message}</p>}
      <button type="submit" class="primary">
        Save desired state
      </button>
    </form>
  );
}
