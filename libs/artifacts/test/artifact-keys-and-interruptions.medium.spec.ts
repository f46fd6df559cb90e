import { generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { ConfigError } from '@edgefleet/config';
import { artifactSignatureMessage } from '@edgefleet/contracts';
import { TestApp } from '../../../test/support/test-app';
import { waitFor } from '../../../test/support/mqtt-device';
import { scratchDir } from '../../../test/support/scratch-dir';
import { firmwareFields, multipartBody, upload } from './support/upload';

const MIB = 1024 * 1024;

describe('artifact uploads over a real socket', () => {
  let t: TestApp;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = scratchDir('edgefleet-artifacts-');
    t = await TestApp.start({ FLEET_DATA_DIR: dataDir });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => t.stop());

  it('leaves no file and no row when the client goes away mid-upload', async () => {
    const { body, contentType } = multipartBody(firmwareFields('cut', '1.0.0'), { content: randomBytes(16 * MIB) });
    const origin = new URL(t.app.getHttpAdapter().getInstance().listeningOrigin);
    const tempDir = join(dataDir, 'artifacts', 'tmp');
    const request = httpRequest({
      host: origin.hostname,
      port: origin.port,
      method: 'POST',
      path: '/api/v1/artifacts',
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': contentType, 'content-length': body.length },
    });
    request.on('error', () => undefined);
    request.write(body.subarray(0, 4 * MIB));
    // The upload is being streamed to a temporary file, not buffered...
    await waitFor(() => readdirSync(tempDir), (files) => files.length === 1 && statSync(join(tempDir, files[0])).size > 0, 15_000);
    request.destroy();
    // ...which is removed once the connection drops.
    await waitFor(() => readdirSync(tempDir).length, (count) => count === 0, 15_000);
    expect((await t.request('GET', '/api/v1/artifacts')).body.items).toEqual([]);
    expect(readdirSync(join(dataDir, 'artifacts', 'blobs'))).toEqual([]);
  });
});

describe('artifact signing keys', () => {
  let dataDir: string;
  let first: TestApp;
  beforeAll(async () => {
    dataDir = scratchDir('edgefleet-artifacts-');
    first = await TestApp.start({ FLEET_DATA_DIR: dataDir });
  });
  afterAll(() => first.stop());

  it('generates the key pair at first start with a private key only the server user can read', () => {
    const keysDir = join(dataDir, 'keys');
    expect(statSync(join(keysDir, 'artifact-signing-key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(keysDir, 'download-url.secret')).mode & 0o777).toBe(0o600);
  });

  it('rotates to a configured key while the old public key stays published', async () => {
    const before = await upload(first, firmwareFields('fw', '1.0.0'), { content: randomBytes(1000) });
    const newKeyFile = join(dataDir, 'new-signing-key.pem');
    writeFileSync(newKeyFile, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const rotated = await TestApp.start({ FLEET_DATA_DIR: dataDir, FLEET_SIGNING_KEY_FILE: newKeyFile }, { database: first.database });
    try {
      const after = await upload(rotated, firmwareFields('fw', '1.1.0'), { content: randomBytes(1000) });
      expect(after.body.signingKeyId).not.toBe(before.body.signingKeyId);
      const keys: Array<{ id: string; publicKeyPem: string; current: boolean }> = (await rotated.request('GET', '/api/v1/signing-keys')).body.items;
      expect(keys.map((key) => [key.id, key.current]).sort()).toEqual(
        [
          [before.body.signingKeyId, false],
          [after.body.signingKeyId, true],
        ].sort(),
      );
      const pemOf = (id: string) => keys.find((key) => key.id === id)!.publicKeyPem;
      expect((await rotated.request('GET', '/api/v1/signing-key')).body).toBe(pemOf(after.body.signingKeyId));
      for (const artifact of [before.body, after.body]) {
        const signature = Buffer.from(artifact.signature, 'base64');
        const message = Buffer.from(artifactSignatureMessage(artifact));
        expect(verify(null, message, pemOf(artifact.signingKeyId), signature)).toBe(true);
      }
      expect(verify(null, Buffer.from(artifactSignatureMessage(before.body)), pemOf(after.body.signingKeyId), Buffer.from(before.body.signature, 'base64'))).toBe(false);
    } finally {
      await rotated.stop();
    }
  });

  it('refuses to start with a configured key that is not Ed25519, naming the setting', async () => {
    const rsaFile = join(dataDir, 'rsa.pem');
    writeFileSync(rsaFile, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const start = TestApp.start({ FLEET_DATA_DIR: dataDir, FLEET_SIGNING_KEY_FILE: rsaFile }, { database: first.database });
    await expect(start).rejects.toThrow(ConfigError);
    await expect(start).rejects.toThrow(/^FLEET_SIGNING_KEY_FILE: .*not Ed25519/);
  });
});
