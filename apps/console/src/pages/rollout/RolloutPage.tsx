import { useEffect, useState } from 'preact/hooks';
import { api, must } from '../../api/client';
import { followEvents } from '../../api/event-stream';
import { Confirm } from '../../components/Confirm';
import { DataTable } from '../../components/DataTable';
import { Denied, ErrorNote, LiveMark, Page, Status, number, when } from '../../components/Bits';
import { Link } from '../../components/Link';
import { usePolling } from '../../state/poll';
import { href } from '../../state/route';
import { canWrite, writeDenied } from '../../state/session';
import { FAILED, type Rollout, stateInWords } from './rollout-words';
import { WaveBars } from './WaveBars';

type Control = 'pause' | 'resume' | 'cancel';

export function RolloutPage(props: { id: string }) {
  const id = props.id;
  const [rollout, setRollout] = useState<Rollout | null>(null);
  const [live, setLive] = useState<'connecting' | 'live' | 'reconnecting' | 'ended'>('connecting');
  const [error, setError] = useState<string | null>(null);
  const [control, setControl] = useState<Control | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const abort = new AbortController();
    must(api.GET('/api/v1/rollouts/{id}', { params: { path: { id } } })).then(setRollout, (e: Error) => setError(e.message));
    void followEvents(
      `/api/v1/rollouts/${encodeURIComponent(id)}/events`,
      (event) => {
        if (event.event === 'progress') setRollout(JSON.parse(event.data) as Rollout);
      },
      setLive,
      abort.signal,
    );
    return () => abort.abort();
  }, [id]);
  const failedKey = rollout ? FAILED.map((s) => rollout.counts[s]).join(',') : '';
  const failed = usePolling(
    async () => (await Promise.all(FAILED.map((status) => must(api.GET('/api/v1/rollouts/{id}/devices', { params: { path: { id }, query: { status, limit: 100 } } }))))).flatMap((p) => p.items),
    0,
    [id, failedKey],
  );
  const act = async () => {
    if (!control) return;
    setBusy(true);
    setError(null);
    try {
      const path = { pause: '/api/v1/rollouts/{id}/pause', resume: '/api/v1/rollouts/{id}/resume', cancel: '/api/v1/rollouts/{id}/cancel' } as const;
      setRollout(await must(api.POST(path[control], { params: { path: { id } } })));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
      setControl(null);
    }
  };
  const r = rollout;
  const active = r && ['scheduled', 'running', 'paused'].includes(r.state);
  return (
    <Page title={r ? `Rollout ${r.name}` : 'Rollout'} actions={<LiveMark state={live} />}>
      <ErrorNote error={error} />
      {r && (
        <>
          <p class="state-words" data-testid="rollout-state" aria-live="polite">
            <Status status={r.state} /> {stateInWords(r)}
          </p>
          <dl class="facts">
            <dt>What</dt>
            <dd>{r.type === 'firmware' ? `firmware ${r.artifactVersion}` : `config ${JSON.stringify(r.config)}`}</dd>
            <dt>Targets</dt>
            <dd>
              {number(r.targetCount)} devices{r.excludedCount ? `, ${number(r.excludedCount)} left out (incompatible type)` : ''}
            </dd>
            <dt>Strategy</dt>
            <dd>
              waves {r.strategy.waves.join(' / ')} %, at most {r.strategy.maxInFlight} in flight, {r.strategy.retries} retries, timeout {r.strategy.deviceTimeoutSeconds} s
            </dd>
            <dt>Created</dt>
            <dd>
              {when(r.createdAt)} by {r.createdBy}
            </dd>
          </dl>
          {active &&
            (canWrite.value ? (
              <div class="page-actions">
                {r.state === 'running' && (
                  <button type="button" onClick={() => setControl('pause')}>
                    Pause
                  </button>
                )}
                {r.state === 'paused' && (
                  <button type="button" class="primary" onClick={() => setControl('resume')}>
                    Resume
                  </button>
                )}
                <button type="button" class="danger ghost" onClick={() => setControl('cancel')}>
                  Cancel rollout
                </button>
              </div>
            ) : (
              <Denied reason={`${writeDenied.value} Pause, resume and cancel are hidden.`} />
            ))}
          <h2>Waves</h2>
          <WaveBars rollout={r} />
          <h2>Failed devices</h2>
          <DataTable
            caption="Failed devices"
            rows={failed.data ?? []}
            rowKey={(j) => j.jobId}
            empty="No device has failed."
            columns={[
              { key: 'device', label: 'Device', sortValue: (j) => j.deviceId, render: (j) => <Link href={href(`/devices/${encodeURIComponent(j.deviceId)}`)}>{j.deviceId}</Link> },
              { key: 'status', label: 'Status', render: (j) => <Status status={j.status} /> },
              { key: 'wave', label: 'Wave', numeric: true, render: (j) => j.wave + 1 },
              { key: 'attempts', label: 'Attempts', numeric: true, render: (j) => j.attempts },
              { key: 'error', label: 'Last error', render: (j) => j.lastError ?? '—' },
            ]}
          />
          <Confirm
            title={control === 'cancel' ? `Cancel rollout ${r.name}?` : control === 'pause' ? `Pause rollout ${r.name}?` : `Resume rollout ${r.name}?`}
            open={control !== null}
            confirmLabel={control === 'cancel' ? 'Cancel the rollout' : control === 'pause' ? 'Pause' : 'Resume'}
            danger={control === 'cancel'}
            busy={busy}
            onClose={() => setControl(null)}
            onConfirm={act}
          >
            {control === 'cancel' && <p>Every unfinished job of its {number(r.targetCount)} devices is cancelled and the devices told. This cannot be resumed.</p>}
            {control === 'pause' && <p>No new devices start; the ones in flight finish.</p>}
            {control === 'resume' && <p>Devices start again from wave {r.currentWave + 1}.</p>}
          </Confirm>
        </>
      )}
    </Page>
  );
}
