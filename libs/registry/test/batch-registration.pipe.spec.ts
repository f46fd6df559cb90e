import { createValidationPipe } from '@edgefleet/api';
import { hashSecret } from '@edgefleet/common';
import { BatchRegisterDto } from '../src/devices/device.dto';
import { BatchRegistrationPipe, isPlainBatch } from '../src/devices/batch-registration.pipe';
import { issueManyDeviceCredentials } from '../src/devices/device-credentials';

const fullCheck = createValidationPipe();
const validate = (body: unknown) => fullCheck.transform(body, { type: 'body', metatype: BatchRegisterDto });
const outcome = (promise: Promise<unknown>) =>
  promise.then(
    (value) => ({ ok: JSON.parse(JSON.stringify(value)) }),
    (error: Error) => ({ error: error.message }),
  );

const bodies: unknown[] = [
  { devices: [{ type: 'cam' }] },
  { devices: [{ id: 'cam-1', name: 'Lobby', type: 'cam', tags: { site: 'syd', 'a.b/c': 'x:y' } }, { id: 'cam-2', type: 'cam', tags: {} }] },
  { devices: [{ id: 'cam-1', type: 'cam', tags: ['site:syd'] }] },
  { devices: [{ id: 'cam-1', type: 'cam', name: null }] },
  { devices: [{ id: 'cam-1', type: 'cam', name: '' }] },
  { devices: [{ id: 'cam-1', type: 'cam', name: 'x'.repeat(201) }] },
  { devices: [{ id: 'cam-1', type: 'cam', name: '\u{1F600}'.repeat(150) }] },
  { devices: [{ id: '-bad', type: 'cam' }] },
  { devices: [{ id: 'cam-1', type: 'c a m' }] },
  { devices: [{ id: 'cam-1' }] },
  { devices: [{ id: 'cam-1', type: 'cam', extra: 1 }] },
  { devices: [{ id: 'cam-1', type: 'cam', tags: { 'bad key': 'v' } }] },
  { devices: [{ id: 'cam-1', type: 'cam', tags: { k: 1 } }] },
  { devices: [{ id: 'cam-1', type: 'cam', tags: { k: 'v'.repeat(257) } }] },
  { devices: [{ id: 'cam-1', type: 'cam', tags: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) }] },
  { devices: [{ id: 42, type: 'cam' }] },
  { devices: ['cam'] },
  { devices: [null] },
  { devices: [] },
  { devices: Array.from({ length: 10_001 }, () => ({ type: 'cam' })) },
  { devices: [{ type: 'cam' }], more: true },
  { devices: 'cam' },
  [],
  null,
];

describe('BatchRegistrationPipe', () => {
  it.each(bodies.map((body, i) => [i, body]))('decides body %i as the DTO does, with the same error', async (_, body) => {
    const expected = await outcome(validate(body));
    expect(await outcome(new BatchRegistrationPipe().transform(body))).toEqual(expected);
    if (isPlainBatch(body)) expect(expected).toHaveProperty('ok');
  });

  it('takes the common shape without the full check', () => {
    expect(isPlainBatch(bodies[0])).toBe(true);
    expect(isPlainBatch(bodies[1])).toBe(true);
    expect(isPlainBatch(bodies[2])).toBe(false);
  });
});

describe('issueManyDeviceCredentials', () => {
  it('gives each device its own 256-bit password, stored as its SHA-256 like a single one', () => {
    const issued = issueManyDeviceCredentials(['a', 'b', 'c']);
    expect(issued.map((i) => i.credentials.username)).toEqual(['a', 'b', 'c']);
    expect(new Set(issued.map((i) => i.credentials.password)).size).toBe(3);
    for (const { credentials, hash } of issued) {
      expect(credentials.password).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(hash).toBe(hashSecret(credentials.password));
    }
  });
});
