import { useState } from 'preact/hooks';
import { api, must, type components } from '../../api/client';
import { Confirm } from '../../components/Confirm';
import { DataTable } from '../../components/DataTable';
import { Denied, ErrorNote, Page, SecretOnce, when } from '../../components/Bits';
import { usePolling } from '../../state/poll';
import { isAdmin } from '../../state/session';

type Key = components['schemas']['ApiKeyDto'];

export function ApiKeysPage() {
  const keys = usePolling(() => (isAdmin.value ? must(api.GET('/api/v1/api-keys', { params: { query: { limit: 1000 } } })) : Promise.resolve(null)), 0, []);
  const [name, setName] = useState('');
  const [role, setRole] = useState<'viewer' | 'operator' | 'admin'>('viewer');
  const [created, setCreated] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<Key | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (!isAdmin.value) return <Page title="API keys"><Denied reason="API keys are managed by admins only." /></Page>;
  const create = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      setCreated((await must(api.POST('/api/v1/api-keys', { body: { name, role } }))).token);
      setName('');
      keys.reload();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const revoke = async () => {
    try {
      await must(api.DELETE('/api/v1/api-keys/{id}', { params: { path: { id: revoking!.id } } }));
      keys.reload();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setRevoking(null);
    }
  };
  return (
    <Page title="API keys">
      <form class="filters" onSubmit={create}>
        <label>Name<input required value={name} onInput={(e) => setName(e.currentTarget.value)} /></label>
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.currentTarget.value as typeof role)}>
            <option value="viewer">viewer</option>
            <option value="operator">operator</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <button type="submit" class="primary">Create key</button>
      </form>
      {created && (
        <div role="status">
          <p>The new token, shown only now:</p>
          <SecretOnce label="Token" value={created} />
          <button type="button" class="ghost" onClick={() => setCreated(null)}>I have stored it</button>
        </div>
      )}
      <ErrorNote error={error ?? keys.error} />
      <DataTable
        caption="API keys"
        rows={keys.data?.items ?? []}
        rowKey={(k) => k.id}
        columns={[
          { key: 'name', label: 'Name', sortValue: (k) => k.name, render: (k) => k.name },
          { key: 'role', label: 'Role', sortValue: (k) => k.role, render: (k) => k.role },
          { key: 'prefix', label: 'Starts with', render: (k) => <code>{k.prefix}</code> },
          { key: 'used', label: 'Last used', sortValue: (k) => k.lastUsedAt ?? '', render: (k) => when(k.lastUsedAt) },
          { key: 'revoked', label: 'Revoked', render: (k) => (k.revokedAt ? when(k.revokedAt) : '—') },
          { key: 'act', label: 'Revoke', render: (k) => (k.revokedAt ? null : <button type="button" class="danger ghost" onClick={() => setRevoking(k)}>Revoke {k.name}</button>) },
        ]}
      />
      <Confirm title={`Revoke ${revoking?.name ?? ''}?`} open={revoking !== null} confirmLabel="Revoke the key" danger onClose={() => setRevoking(null)} onConfirm={revoke}>
        <p>Anything using this token stops working within 5 seconds.</p>
      </Confirm>
    </Page>
  );
}
