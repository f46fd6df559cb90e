import { useState } from 'preact/hooks';
import { api, must, type components } from '../../api/client';
import { DataTable } from '../../components/DataTable';
import { DeviceFilters, type DeviceFilter } from '../../components/DeviceFilters';
import { Denied, ErrorNote, Page, number } from '../../components/Bits';
import { usePolling } from '../../state/poll';
import { href, navigate } from '../../state/route';
import { canWrite, writeDenied } from '../../state/session';

type CreateBody = components['schemas']['CreateRolloutDto'];
type Preview = components['schemas']['RolloutPreviewDto'];

interface Form {
  name: string;
  type: 'firmware' | 'config';
  artifactId: string;
  config: string;
  deviceIds: string;
  waves: string;
  maxInFlight: string;
  thresholdPercent: string;
  thresholdMinSamples: string;
  deviceTimeoutSeconds: string;
  retries: string;
  startAt: string;
  windowCron: string;
  windowMinutes: string;
}

const INITIAL: Form = { name: '', type: 'firmware', artifactId: '', config: '{\n  \n}', deviceIds: '', waves: '10, 50, 100', maxInFlight: '100', thresholdPercent: '5', thresholdMinSamples: '20', deviceTimeoutSeconds: '600', retries: '2', startAt: '', windowCron: '', windowMinutes: '120' };

function bodyOf(form: Form, selector: DeviceFilter): CreateBody {
  const ids = form.deviceIds.split(/[\s,]+/).filter(Boolean);
  const hasSelector = Object.keys(selector).length > 0;
  const body = {
    name: form.name,
    type: form.type,
    ...(form.type === 'firmware' ? { artifactId: form.artifactId } : { config: JSON.parse(form.config) as Record<string, unknown> }),
    target: { ...(ids.length ? { deviceIds: ids } : {}), ...(hasSelector ? { selector } : {}) },
    strategy: {
      waves: form.waves.split(/[\s,]+/).filter(Boolean).map(Number),
      maxInFlight: Number(form.maxInFlight),
      ...(form.thresholdPercent ? { failureThreshold: { percent: Number(form.thresholdPercent), minSamples: Number(form.thresholdMinSamples || '1') } } : {}),
      deviceTimeoutSeconds: Number(form.deviceTimeoutSeconds),
      retries: Number(form.retries),
    },
    schedule: {
      ...(form.startAt ? { startAt: new Date(form.startAt).toISOString() } : {}),
      ...(form.windowCron ? { window: { cron: form.windowCron, durationMinutes: Number(form.windowMinutes) } } : {}),
    },
  };
  return body as unknown as CreateBody;
}

/** Pick what and whom, then see the blast radius per wave before anything starts. */
export function NewRolloutPage() {
  const [form, setForm] = useState<Form>(INITIAL);
  const [selector, setSelector] = useState<DeviceFilter>({});
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const artifacts = usePolling(() => must(api.GET('/api/v1/artifacts', { params: { query: { limit: 200 } } })), 0, []);
  if (!canWrite.value) return <Page title="New rollout"><Denied reason={`${writeDenied.value} Creating rollouts is not available.`} /></Page>;
  const change = (patch: Partial<Form>) => {
    setForm({ ...form, ...patch });
    setPreview(null);
  };
  const field = (key: keyof Form, label: string, props: Record<string, unknown> = {}) => (
    <label>
      {label}
      <input name={key} value={form[key]} onInput={(e) => change({ [key]: e.currentTarget.value })} {...props} />
    </label>
  );
  const body = () => {
    try {
      return bodyOf(form, selector);
    } catch (e) {
      setError(`Config is not JSON: ${(e as Error).message}`);
      return null;
    }
  };
  const runPreview = async (event: Event) => {
    event.preventDefault();
    setError(null);
    const b = body();
    if (!b) return;
    setBusy(true);
    try {
      setPreview(await must(api.POST('/api/v1/rollouts/preview', { body: b })));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const create = async () => {
    const b = body();
    if (!b) return;
    setBusy(true);
    try {
      const created = await must(api.POST('/api/v1/rollouts', { body: b }));
      navigate(href(`/rollouts/${created.id}`));
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };
  return (
    <Page title="New rollout">
      <form class="wizard" onSubmit={runPreview}>
        <fieldset>
          <legend>1. What</legend>
          {field('name', 'Name', { required: true })}
          <label>
            Kind
            <select name="type" value={form.type} onChange={(e) => change({ type: e.currentTarget.value as Form['type'] })}>
              <option value="firmware">firmware</option>
              <option value="config">config</option>
            </select>
          </label>
          {form.type === 'firmware' ? (
            <label>
              Artifact
              <select name="artifactId" required value={form.artifactId} onChange={(e) => change({ artifactId: e.currentTarget.value })}>
                <option value="">choose…</option>
                {(artifacts.data?.items ?? []).map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name} {a.version} ({a.deviceTypes.join(', ')})
                  </option>
                ))}
              </select>
            </label>
          ) : (
            <label style={{ flex: '1 1 100%' }}>
              Config (merged into desired state)
              <textarea name="config" rows={4} value={form.config} onInput={(e) => change({ config: e.currentTarget.value })} />
            </label>
          )}
        </fieldset>
        <fieldset>
          <legend>2. Which devices</legend>
          <DeviceFilters
            idPrefix="t"
            value={selector}
            onChange={(f) => {
              setSelector(f);
              setPreview(null);
            }}
          />
          {field('deviceIds', 'and/or device ids')}
        </fieldset>
        <fieldset>
          <legend>3. How</legend>
          {field('waves', 'Waves (cumulative %)')}
          {field('maxInFlight', 'Max in flight', { inputMode: 'numeric' })}
          {field('thresholdPercent', 'Abort above failed %', { inputMode: 'decimal' })}
          {field('thresholdMinSamples', 'after at least (devices)', { inputMode: 'numeric' })}
          {field('deviceTimeoutSeconds', 'Device timeout (s)', { inputMode: 'numeric' })}
          {field('retries', 'Retries', { inputMode: 'numeric' })}
        </fieldset>
        <fieldset>
          <legend>4. When</legend>
          {field('startAt', 'Start at (empty: now)', { type: 'datetime-local' })}
          {field('windowCron', 'Window opens (cron, UTC)', { placeholder: '0 2 * * *' })}
          {field('windowMinutes', 'Window length (min)', { inputMode: 'numeric' })}
        </fieldset>
        <ErrorNote error={error} />
        <button type="submit" class="primary" disabled={busy}>
          Preview
        </button>
      </form>
      {preview && (
        <section aria-labelledby="preview-title">
          <h2 id="preview-title">Preview</h2>
          <p data-testid="preview-summary">
            {number(preview.targetCount)} devices would get this rollout
            {preview.mismatched.length ? `; ${number(preview.mismatched.length)} matched devices are of an incompatible type (${[...new Set(preview.mismatched.map((m) => m.type))].join(', ')}) and block creating it` : ''}.
          </p>
          <DataTable
            caption="Preview per wave"
            rows={preview.waves}
            rowKey={(w) => String(w.wave)}
            columns={[
              { key: 'wave', label: 'Wave', render: (w) => `${w.wave + 1} (${w.percent} %)` },
              { key: 'count', label: 'Devices', numeric: true, render: (w) => <span data-testid={`preview-wave-${w.wave}-count`}>{number(w.count)}</span> },
              { key: 'offline', label: 'Offline now', numeric: true, render: (w) => <span data-testid={`preview-wave-${w.wave}-offline`}>{number(w.offline)}</span> },
            ]}
          />
          <div class="actions">
            <button type="button" class="primary" disabled={busy || preview.mismatched.length > 0 || preview.targetCount === 0} onClick={create}>
              Start rollout to {number(preview.targetCount)} devices
            </button>
          </div>
        </section>
      )}
    </Page>
  );
}
