import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { artifactSignatureMessage } from '@edgefleet/contracts';
import { artifactRefusal, loadSigningKey, parseJobDocument } from '@edgefleet/device-sdk';

describe('artifact verification before install', () => {
  const fleetKey = generateKeyPairSync('ed25519');
  const otherKey = generateKeyPairSync('ed25519');
  const publicKey = loadSigningKey(fleetKey.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  const bytes = Buffer.from('firmware image 2.1.0');
  const fields = { id: 'art-1', version: '2.1.0', size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  const signedWith = (key: typeof fleetKey.privateKey, over = fields) =>
    sign(null, Buffer.from(artifactSignatureMessage(over)), key).toString('base64');
  const announced = { ...fields, signature: signedWith(fleetKey.privateKey) };
  const received = { sha256: fields.sha256, size: fields.size };

  it('accepts the announced bytes signed by the fleet key', () => {
    expect(artifactRefusal(announced, received, publicKey)).toBeNull();
  });

  it('refuses bytes whose hash differs from the announced one', () => {
    const tampered = createHash('sha256').update('firmware image 2.1.0!').digest('hex');
    expect(artifactRefusal(announced, { sha256: tampered, size: fields.size }, publicKey)).toMatch(/sha256 mismatch/);
    expect(artifactRefusal(announced, { ...received, size: 3 }, publicKey)).toMatch(/size mismatch/);
  });

  it('refuses a signature by another key, or one made for another version or hash', () => {
    expect(artifactRefusal({ ...fields, signature: signedWith(otherKey.privateKey) }, received, publicKey)).toMatch(/signature/);
    const otherVersion = signedWith(fleetKey.privateKey, { ...fields, version: '1.0.0' });
    expect(artifactRefusal({ ...fields, signature: otherVersion }, received, publicKey)).toMatch(/signature/);
    expect(artifactRefusal({ ...fields, signature: 'not base64 at all' }, received, publicKey)).toMatch(/signature/);
  });

  it('only takes an Ed25519 key', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => loadSigningKey(rsa)).toThrow(/ed25519/);
  });
});

describe('job documents', () => {
  const artifact = { id: 'a', version: '2', size: 10, sha256: 'AB'.repeat(32), url: 'http://x/y', signature: 'c2ln' };

  it('reads firmware and config documents, keeping unknown fields out', () => {
    expect(parseJobDocument(JSON.stringify({ type: 'firmware', rolloutId: 'r', artifact, extra: 1 }))).toEqual({
      ok: true,
      document: { type: 'firmware', rolloutId: 'r', artifact: { ...artifact, sha256: 'ab'.repeat(32) } },
    });
    expect(parseJobDocument('{"type":"config","rolloutId":"r","config":{"interval":5}}')).toEqual({
      ok: true,
      document: { type: 'config', rolloutId: 'r', config: { interval: 5 } },
    });
  });

  it.each([
    ['not json', /not valid JSON/],
    ['[]', /not a JSON object/],
    ['{"type":"reboot"}', /unknown job type/],
    ['{"type":"config","config":[1]}', /config object/],
    [JSON.stringify({ type: 'firmware', artifact: { ...artifact, sha256: 'abc' } }), /sha256/],
    [JSON.stringify({ type: 'firmware', artifact: { ...artifact, size: -1 } }), /size/],
    [JSON.stringify({ type: 'firmware', artifact: { ...artifact, signature: undefined } }), /signature/],
  ])('gives a reason for a document it cannot act on: %s', (payload, reason) => {
    const parsed = parseJobDocument(payload);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toMatch(reason);
  });
});
