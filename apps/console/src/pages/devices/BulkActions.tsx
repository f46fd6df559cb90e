import { useState } from 'preact/hooks';
import { api, must } from '../../api/client';
import { Confirm } from '../../components/Confirm';
import { ErrorNote, Progress, number, plural } from '../../components/Bits';
import type { DeviceFilter } from '../../components/DeviceFilters';
import { canWrite, writeDenied } from '../../state/session';
import { allMatchingIds, forEachLimited } from './device-query';

type Action = 'tag' | 'group' | 'decommission';
const GROUP_CHUNK = 10_000;

/** Acts on every device matching the filter ("all N matching"), after a confirmation that states N. */
export function BulkActions(props: { filter: DeviceFilter; total: number; onDone: () => void }) {
  const [action, setAction] = useState<Action | null>(null);
  const [tag, setTag] = useState('');
  const [group, setGroup] = useState('');
  const [progress, setProgress] = useState<{ label: string; done: number; total: number } | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (props.total === 0) return null;
  if (!canWrite.value) return <p class="denied">{writeDenied.value} Bulk actions are hidden.</p>;

  const run = async () => {
    setError(null);
    setResult(null);
    try {
      setProgress({ label: 'Collecting matching devices', done: 0, total: props.total });
      const ids = await allMatchingIds(props.filter, (seen) => setProgress({ label: 'Collecting matching devices', done: seen, total: props.total }));
      const tick = (label: string) => (done: number) => setProgress({ label, done, total: ids.length });
      let failed: string[] = [];
      if (action === 'group') {
        const groups = await must(api.GET('/api/v1/groups', { params: { query: { limit: 1000 } } }));
        const target = groups.items.find((g) => g.name === group || g.id === group);
        if (!target || target.dynamic) throw new Error(`No static group named '${group}'.`);
        for (let i = 0; i < ids.length; i += GROUP_CHUNK) {
          const added = await must(api.POST('/api/v1/groups/{id}/devices', { params: { path: { id: target.id } }, body: { deviceIds: ids.slice(i, i + GROUP_CHUNK) } }));
          failed.push(...added.unknown);
          tick('Adding to the group')(Math.min(i + GROUP_CHUNK, ids.length));
        }
      } else if (action === 'tag') {
        const [key, ...rest] = tag.split(':');
        const value = rest.join(':');
        if (!key || !value) throw new Error('A tag is key:value, e.g. site:syd');
        failed = await forEachLimited(ids, 8, async (id) => {
          const device = await must(api.GET('/api/v1/devices/{id}', { params: { path: { id } } }));
          await must(api.PATCH('/api/v1/devices/{id}', { params: { path: { id } }, body: { tags: { ...(device.tags as Record<string, string>), [key]: value } } }));
        }, tick('Tagging'));
      } else {
        failed = await forEachLimited(ids, 8, async (id) => void (await must(api.DELETE('/api/v1/devices/{id}', { params: { path: { id } } }))), tick('Decommissioning'));
      }
      setResult(`${plural(ids.length - failed.length, 'device')} done${failed.length ? `; ${number(failed.length)} failed: ${failed.slice(0, 10).join(', ')}${failed.length > 10 ? '…' : ''}` : ''}.`);
      props.onDone();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setProgress(null);
      setAction(null);
    }
  };

  const n = number(props.total);
  return (
    <div class="bulk">
      <span>All {n} matching:</span>
      <button type="button" class="ghost" onClick={() => setAction('tag')}>Tag…</button>
      <button type="button" class="ghost" onClick={() => setAction('group')}>Add to group…</button>
      <button type="button" class="danger ghost" onClick={() => setAction('decommission')}>Decommission…</button>
      {progress && <Progress {...progress} />}
      {result && <p role="status">{result}</p>}
      <ErrorNote error={error} />
      <Confirm
        title={action === 'decommission' ? `Decommission ${n} devices?` : action === 'tag' ? `Tag ${n} devices` : `Add ${n} devices to a group`}
        open={action !== null && progress === null}
        confirmLabel={action === 'decommission' ? `Decommission ${n} devices` : action === 'tag' ? `Tag ${n} devices` : `Add ${n} devices`}
        danger={action === 'decommission'}
        onClose={() => setAction(null)}
        onConfirm={run}
      >
        {action === 'decommission' && <p>This removes all {n} devices matching the current filters and revokes their credentials; connected ones are disconnected at once. It cannot be undone.</p>}
        {action === 'tag' && (
          <label>
            Tag to set on all {n} devices (key:value)
            <input value={tag} onInput={(e) => setTag(e.currentTarget.value)} placeholder="site:syd" />
          </label>
        )}
        {action === 'group' && (
          <label>
            Static group name
            <input value={group} onInput={(e) => setGroup(e.currentTarget.value)} />
          </label>
        )}
      </Confirm>
    </div>
  );
}
