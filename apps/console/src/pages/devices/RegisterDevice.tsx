import { useState } from 'preact/hooks';
import { api, must, type components } from '../../api/client';
import { Modal } from '../../components/Confirm';
import { ErrorNote, SecretOnce } from '../../components/Bits';

type Registered = components['schemas']['RegisteredDeviceDto'];

export function parseTags(text: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const pair of text.split(/[\s,]+/).filter(Boolean)) {
    const at = pair.indexOf(':');
    if (at > 0) tags[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return tags;
}

/** Registers one device and shows its MQTT password once, with a copy button. */
export function RegisterDevice(props: { onDone: () => void }) {
  const [open, setOpen] = useState(false);
  const [form, setForm] = useState({ id: '', name: '', type: '', tags: '' });
  const [created, setCreated] = useState<Registered | null>(null);
  const [error, setError] = useState<string | null>(null);
  const close = () => {
    setOpen(false);
    setCreated(null);
    setError(null);
    setForm({ id: '', name: '', type: '', tags: '' });
  };
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      const body = { type: form.type, ...(form.id ? { id: form.id } : {}), ...(form.name ? { name: form.name } : {}), tags: parseTags(form.tags) };
      setCreated(await must(api.POST('/api/v1/devices', { body })));
      props.onDone();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const field = (key: keyof typeof form, label: string, required = false) => (
    <label>
      {label}
      <input name={key} required={required} value={form[key]} onInput={(e) => setForm({ ...form, [key]: e.currentTarget.value })} />
    </label>
  );
  return (
    <>
      <button type="button" class="primary" onClick={() => setOpen(true)}>
        Register device
      </button>
      <Modal title={created ? 'Device registered' : 'Register a device'} open={open} onClose={close}>
        {created ? (
          <div>
            <p>
              <strong>{created.id}</strong> is registered. Its password is shown only now: copy it to the device.
            </p>
            <SecretOnce label="Username" value={created.credentials.username} />
            <SecretOnce label="Password" value={created.credentials.password} />
            <div class="actions">
              <button type="button" class="primary" onClick={close}>
                Done
              </button>
            </div>
          </div>
        ) : (
          <form onSubmit={submit}>
            {field('id', 'Id (optional: generated)')}
            {field('name', 'Name (optional)')}
            {field('type', 'Type', true)}
            {field('tags', 'Tags (key:value, space separated)')}
            <ErrorNote error={error} />
            <div class="actions">
              <button type="button" class="ghost" onClick={close}>
                Cancel
              </button>
              <button type="submit" class="primary">
                Register
              </button>
            </div>
          </form>
        )}
      </Modal>
    </>
  );
}
