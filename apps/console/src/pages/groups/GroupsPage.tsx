import { useEffect, useState } from 'preact/hooks';
import { api, must, type components } from '../../api/client';
import { DataTable } from '../../components/DataTable';
import { DeviceFilters, type DeviceFilter } from '../../components/DeviceFilters';
import { Denied, ErrorNote, Page, number, plural } from '../../components/Bits';
import { Link } from '../../components/Link';
import { deviceCount } from '../devices/device-query';
import { usePolling } from '../../state/poll';
import { href } from '../../state/route';
import { canWrite, writeDenied } from '../../state/session';

type Group = components['schemas']['GroupDto'];

function selectorOf(group: Group): DeviceFilter {
  const s = (group.selector ?? {}) as DeviceFilter;
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined && v !== null)) as DeviceFilter;
}

/** Static and dynamic groups; a selector is edited with the device filter controls and a live match count. */
export function GroupsPage() {
  const groups = usePolling(() => must(api.GET('/api/v1/groups', { params: { query: { limit: 1000 } } })), 0, []);
  const [editing, setEditing] = useState<Group | 'new-static' | 'new-dynamic' | null>(null);
  return (
    <Page
      title="Groups"
      actions={
        canWrite.value ? (
          <>
            <button type="button" onClick={() => setEditing('new-static')}>New static group</button>
            <button type="button" onClick={() => setEditing('new-dynamic')}>New dynamic group</button>
          </>
        ) : (
          <Denied reason={`${writeDenied.value} Creating and editing groups is hidden.`} />
        )
      }
    >
      <ErrorNote error={groups.error} />
      {editing && <GroupEditor group={editing} onDone={() => (setEditing(null), groups.reload())} />}
      <DataTable
        caption="Groups"
        rows={groups.data?.items ?? []}
        rowKey={(g) => g.id}
        empty="No group yet."
        columns={[
          { key: 'name', label: 'Name', sortValue: (g) => g.name, render: (g) => <Link href={href('/devices', { group: g.name })}>{g.name}</Link> },
          { key: 'kind', label: 'Kind', sortValue: (g) => String(g.dynamic), render: (g) => (g.dynamic ? 'dynamic' : 'static') },
          { key: 'selector', label: 'Selector', render: (g) => (g.dynamic ? <code>{JSON.stringify(selectorOf(g))}</code> : '—') },
          { key: 'members', label: 'Members', numeric: true, sortValue: (g) => g.memberCount, render: (g) => <Link href={href('/devices', { group: g.name })}>{number(g.memberCount)}</Link> },
          {
            key: 'edit',
            label: 'Edit',
            render: (g) =>
              canWrite.value ? (
                <button type="button" class="ghost" onClick={() => setEditing(g)}>
                  Edit {g.name}
                </button>
              ) : null,
          },
        ]}
      />
    </Page>
  );
}

function GroupEditor(props: { group: Group | 'new-static' | 'new-dynamic'; onDone: () => void }) {
  const existing = typeof props.group === 'object' ? props.group : null;
  const dynamic = existing ? existing.dynamic : props.group === 'new-dynamic';
  const [name, setName] = useState(existing?.name ?? '');
  const [selector, setSelector] = useState<DeviceFilter>(existing ? selectorOf(existing) : {});
  const [matches, setMatches] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!dynamic) return;
    let live = true;
    setMatches(null);
    deviceCount(selector).then((n) => live && setMatches(n), () => undefined);
    return () => void (live = false);
  }, [JSON.stringify(selector)]);
  const save = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      const body = { name, ...(dynamic ? { selector } : {}) };
      if (existing) await must(api.PATCH('/api/v1/groups/{id}', { params: { path: { id: existing.id } }, body: body as never }));
      else await must(api.POST('/api/v1/groups', { body: body as never }));
      props.onDone();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <form class="wizard" onSubmit={save}>
      <fieldset>
        <legend>{existing ? `Edit ${existing.name}` : dynamic ? 'New dynamic group' : 'New static group'}</legend>
        <label>
          Name
          <input required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        {dynamic && (
          <>
            <DeviceFilters idPrefix="g" value={selector} onChange={setSelector} />
            <p aria-live="polite" data-testid="group-matches">
              {matches === null ? 'Counting…' : `${plural(matches, 'device')} match now`}
            </p>
          </>
        )}
        {!dynamic && <p>Add members from the device list: filter, then “Add to group…” for all matching.</p>}
      </fieldset>
      <ErrorNote error={error} />
      <div class="actions">
        <button type="button" class="ghost" onClick={props.onDone}>Cancel</button>
        <button type="submit" class="primary">Save group</button>
      </div>
    </form>
  );
}
