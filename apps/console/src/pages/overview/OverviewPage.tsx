import { api, must } from '../../api/client';
import { DataTable } from '../../components/DataTable';
import { ErrorNote, Page, number } from '../../components/Bits';
import { Link } from '../../components/Link';
import { OnlineChart } from '../../components/OnlineChart';
import { usePolling } from '../../state/poll';
import { href } from '../../state/route';

/** Every number links to the device list already filtered to it. */
export function OverviewPage() {
  const summary = usePolling(() => must(api.GET('/api/v1/fleet/summary')), 10_000, []);
  const history = usePolling(() => must(api.GET('/api/v1/fleet/online-history')), 60_000, []);
  const running = usePolling(() => must(api.GET('/api/v1/rollouts', { params: { query: { state: 'running', limit: 100 } } })), 10_000, []);
  const aborted = usePolling(() => must(api.GET('/api/v1/rollouts', { params: { query: { state: 'aborted', limit: 100 } } })), 30_000, []);
  const s = summary.data;
  const failing = (running.data?.items ?? []).filter((r) => r.counts.failed + r.counts.timed_out + r.counts.rejected > 0);
  const card = (label: string, value: number | undefined, to: string) => (
    <div class="card">
      <Link class="big" href={to}>
        {value === undefined ? '…' : number(value)}
      </Link>
      <span class="label">{label}</span>
    </div>
  );
  return (
    <Page title="Overview">
      <ErrorNote error={summary.error} />
      <div class="cards" data-testid="overview-cards">
        {card('devices registered', s?.total, href('/devices'))}
        {card('online now', s?.online, href('/devices', { status: 'online' }))}
        {card('offline', s?.offline, href('/devices', { status: 'offline' }))}
        {card('offline over 24 h (or never seen)', s?.offlineOver24h, href('/devices', { status: 'offline' }))}
        {card('rollouts running', running.data?.items.length, href('/rollouts', { state: 'running' }))}
        {card('running with failures', failing.length, href('/rollouts', { state: 'running' }))}
        {card('rollouts aborted', aborted.data?.items.length, href('/rollouts', { state: 'aborted' }))}
      </div>
      <h2>Devices online over time</h2>
      {history.data && <OnlineChart points={history.data.points} />}
      <div class="columns">
        <div>
          <h2>Devices per type</h2>
          <DataTable
            caption="Devices per type"
            rows={s?.byType ?? []}
            rowKey={(r) => r.type}
            columns={[
              { key: 'type', label: 'Type', sortValue: (r) => r.type, render: (r) => <Link href={href('/devices', { type: r.type })}>{r.type}</Link> },
              { key: 'count', label: 'Devices', numeric: true, sortValue: (r) => r.count, render: (r) => <Link href={href('/devices', { type: r.type })}>{number(r.count)}</Link> },
            ]}
          />
        </div>
        <div>
          <h2>Firmware versions</h2>
          <DataTable
            caption="Firmware versions"
            rows={s?.byFirmware ?? []}
            rowKey={(r) => r.firmware ?? '(none)'}
            columns={[
              { key: 'fw', label: 'Firmware', sortValue: (r) => r.firmware ?? '', render: (r) => (r.firmware ? <Link href={href('/devices', { firmware: r.firmware })}>{r.firmware}</Link> : 'not reported yet') },
              { key: 'count', label: 'Devices', numeric: true, sortValue: (r) => r.count, render: (r) => (r.firmware ? <Link href={href('/devices', { firmware: r.firmware })}>{number(r.count)}</Link> : number(r.count)) },
            ]}
          />
        </div>
      </div>
    </Page>
  );
}
