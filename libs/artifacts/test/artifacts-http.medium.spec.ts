import { createHash, randomBytes, verify } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { artifactSignatureMessage } from '@edgefleet/contracts';
import { ArtifactAccess, ArtifactLinks } from '@edgefleet/artifacts';
import { TestApp } from '../../../test/support/test-app';
import { scratchDir } from '../../../test/support/scratch-dir';
import { DeviceDownloadTokens } from '../src/delivery/device-download-tokens';
import { firmwareFields, getBytes, upload } from './support/upload';

const MIB = 1024 * 1024;

function blobFiles(dataDir: string): string[] {
  const root = join(dataDir, 'artifacts', 'blobs');
  return readdirSync(root).flatMap((shard) => readdirSync(join(root, shard)));
}

describe('artifacts over HTTP (real Postgres, real files)', () => {
  let t: TestApp;
  let dataDir: string;
  const content = randomBytes(5 * MIB + 123);
  const sha256 = createHash('sha256').update(content).digest('hex');
  let artifact: { id: string; version: string; size: number; sha256: string; signature: string; signingKeyId: string };

  beforeAll(async () => {
    dataDir = scratchDir('edgefleet-artifacts-');
    t = await TestApp.start({ FLEET_DATA_DIR: dataDir, ARTIFACT_MAX_UPLOAD_MB: '8' });
    const created = await upload(t, firmwareFields('cam-fw', '2.1.0', 'cam,cam-pro'), { content });
    expect(created.status).toBe(201);
    artifact = created.body;
  });
  afterAll(() => t.stop());

  it('uploads a multi-megabyte file and downloads exactly those bytes', async () => {
    expect(artifact).toMatchObject({ name: 'cam-fw', version: '2.1.0', deviceTypes: ['cam', 'cam-pro'], size: content.length, sha256 });
    expect((await t.request('GET', `/api/v1/artifacts/${artifact.id}`)).body).toEqual(artifact);
    const download = await getBytes(t, `/api/v1/artifacts/${artifact.id}/download`);
    expect(download.status).toBe(200);
    expect(download.headers.etag).toBe(`"${sha256}"`);
    expect(download.headers['accept-ranges']).toBe('bytes');
    expect(createHash('sha256').update(download.bytes).digest('hex')).toBe(sha256);
    expect(blobFiles(dataDir)).toEqual([sha256]);
    expect(readdirSync(join(dataDir, 'artifacts', 'tmp'))).toEqual([]);
  });

  it('answers HEAD with the download headers and no body', async () => {
    const head = await getBytes(t, `/api/v1/artifacts/${artifact.id}/download`, {}, t.adminToken, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers).toMatchObject({ etag: `"${sha256}"`, 'content-length': String(content.length), 'content-type': 'application/octet-stream' });
    expect(head.bytes.length).toBe(0);
  });

  it('signs id, version, hash and size with the published key', async () => {
    const keyPem = (await t.request('GET', '/api/v1/signing-key')).body as string;
    expect(keyPem).toContain('BEGIN PUBLIC KEY');
    const signature = Buffer.from(artifact.signature, 'base64');
    const verifies = (message: string) => verify(null, Buffer.from(message, 'utf8'), keyPem, signature);
    expect(verifies(artifactSignatureMessage(artifact))).toBe(true);
    expect(verifies(artifactSignatureMessage({ ...artifact, version: '2.1.1' }))).toBe(false);
    const flipped = Buffer.from(content);
    flipped[1000] ^= 0x01;
    expect(verifies(artifactSignatureMessage({ ...artifact, sha256: createHash('sha256').update(flipped).digest('hex') }))).toBe(false);
    const keys = (await t.request('GET', '/api/v1/signing-keys')).body.items;
    expect(keys).toEqual([expect.objectContaining({ id: artifact.signingKeyId, publicKeyPem: keyPem, current: true })]);
  });

  it('answers a Range with 206 and resumes an interrupted download', async () => {
    const url = `/api/v1/artifacts/${artifact.id}/download`;
    const part = await getBytes(t, url, { range: 'bytes=0-1048575' });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 0-1048575/${content.length}`);
    expect(part.bytes.equals(content.subarray(0, MIB))).toBe(true);
    const rest = await getBytes(t, url, { range: `bytes=${MIB}-`, 'if-range': `"${sha256}"` });
    expect(rest.status).toBe(206);
    expect(Buffer.concat([part.bytes, rest.bytes]).equals(content)).toBe(true);
    const suffix = await getBytes(t, url, { range: 'bytes=-10' });
    expect(suffix.bytes.equals(content.subarray(content.length - 10))).toBe(true);
  });

  it('sends the whole file when If-Range names other bytes, 416 past the end', async () => {
    const url = `/api/v1/artifacts/${artifact.id}/download`;
    const stale = await getBytes(t, url, { range: 'bytes=100-', 'if-range': '"0000"' });
    expect(stale.status).toBe(200);
    expect(stale.bytes.length).toBe(content.length);
    const beyond = await getBytes(t, url, { range: `bytes=${content.length}-` });
    expect(beyond.status).toBe(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${content.length}`);
  });

  it('stores the same bytes once, and refuses a second (name, version) with 409', async () => {
    const again = await upload(t, firmwareFields('cam-fw-copy', '2.1.0'), { content }, { fileFirst: true });
    expect(again.status).toBe(201);
    expect(again.body.sha256).toBe(sha256);
    expect(blobFiles(dataDir)).toEqual([sha256]);
    const duplicate = await upload(t, firmwareFields('cam-fw', '2.1.0'), { content: randomBytes(1000) });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.message).toMatch(/already exists/);
    expect(blobFiles(dataDir)).toEqual([sha256]);
    expect((await t.request('DELETE', `/api/v1/artifacts/${again.body.id}`)).status).toBe(204);
    expect(blobFiles(dataDir)).toEqual([sha256]);
  });

  it.each([
    ['a bad semver', firmwareFields('x', '2.1'), 'version'],
    ['a leading-zero semver', firmwareFields('x', '01.0.0'), 'version'],
    ['no device types', firmwareFields('x', '1.0.0', ' , '), 'deviceTypes'],
    ['a bad device type', firmwareFields('x', '1.0.0', 'cam/1'), 'deviceTypes'],
    ['no name', [['version', '1.0.0'], ['deviceTypes', 'cam']] as Array<[string, string]>, 'name'],
    ['an unknown field', [...firmwareFields('x', '1.0.0'), ['colour', 'red']] as Array<[string, string]>, 'colour'],
  ])('refuses %s with 400 naming the field, keeping nothing', async (_case, fields, field) => {
    for (const fileFirst of [false, true]) {
      const response = await upload(t, fields, { content: randomBytes(64 * 1024) }, { fileFirst });
      expect(response.status).toBe(400);
      expect(response.body.message).toMatch(new RegExp(`^${field}:`));
    }
    expect(readdirSync(join(dataDir, 'artifacts', 'tmp'))).toEqual([]);
    expect(blobFiles(dataDir)).toEqual([sha256]);
  });

  it('refuses a missing or empty file with 400 and an oversize one with 413', async () => {
    expect((await upload(t, firmwareFields('nofile', '1.0.0'))).body.message).toMatch(/^file:/);
    const empty = await upload(t, firmwareFields('empty', '1.0.0'), { content: Buffer.alloc(0) });
    expect([empty.status, empty.body.message]).toEqual([400, 'file: is empty']);
    const big = await upload(t, firmwareFields('big', '1.0.0'), { content: randomBytes(8 * MIB + 1) });
    expect(big.status).toBe(413);
    const exact = await upload(t, firmwareFields('exact', '1.0.0'), { content: randomBytes(8 * MIB) });
    expect(exact.status).toBe(201);
    expect((await t.request('DELETE', `/api/v1/artifacts/${exact.body.id}`)).status).toBe(204);
    expect((await t.request('GET', '/api/v1/artifacts')).body.items.map((a: { name: string }) => a.name)).toEqual(['cam-fw']);
    expect(readdirSync(join(dataDir, 'artifacts', 'tmp'))).toEqual([]);
    expect(blobFiles(dataDir)).toEqual([sha256]);
  });

  it('lets viewers read but only operators upload', async () => {
    const viewer = await t.tokenFor('viewer');
    expect((await upload(t, firmwareFields('v', '1.0.0'), { content: randomBytes(10) }, { token: viewer })).status).toBe(403);
    expect((await getBytes(t, `/api/v1/artifacts/${artifact.id}/download`, { range: 'bytes=0-0' }, viewer)).status).toBe(206);
    expect((await getBytes(t, `/api/v1/artifacts/${artifact.id}/download`, {}, null)).status).toBe(401);
  });

  describe('device download URLs', () => {
    const pathOf = (url: string) => url.slice(url.indexOf('/api/'));

    it('downloads without an API token and resumes with Range', async () => {
      const url = t.app.get(ArtifactLinks).deviceDownloadUrl(artifact.id, 'cam-1', 'job-1');
      expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:3000/api/v1/artifacts/${artifact.id}/device-download\\?token=`));
      const head = await getBytes(t, pathOf(url), { range: 'bytes=0-99' }, null);
      expect(head.status).toBe(206);
      const tail = await getBytes(t, pathOf(url), { range: 'bytes=100-', 'if-range': `"${sha256}"` }, null);
      expect(Buffer.concat([head.bytes, tail.bytes]).equals(content)).toBe(true);
    });

    it('is 403 when expired, tampered with, for another artifact, or missing', async () => {
      const tokens = t.app.get(DeviceDownloadTokens);
      const expired = tokens.issue(artifact.id, 'cam-1', 'job-1', Date.now() - 2 * 3600 * 1000);
      const deviceUrl = (token: string) => `/api/v1/artifacts/${artifact.id}/device-download?token=${token}`;
      const expiredAnswer = await t.request('GET', deviceUrl(expired), undefined, null);
      expect([expiredAnswer.status, expiredAnswer.body.message]).toEqual([403, expect.stringMatching(/expired/)]);
      const good = tokens.issue(artifact.id, 'cam-1', 'job-1');
      const [payload, mac] = good.split('.');
      const forged = Buffer.from(JSON.stringify([artifact.id, 'cam-2', 'job-1', Math.floor(Date.now() / 1000) + 3600])).toString('base64url');
      expect((await t.request('GET', deviceUrl(`${forged}.${mac}`), undefined, null)).status).toBe(403);
      const flippedMac = (mac[0] === 'A' ? 'B' : 'A') + mac.slice(1);
      expect((await t.request('GET', deviceUrl(`${payload}.${flippedMac}`), undefined, null)).status).toBe(403);
      const other = tokens.issue('00000000-0000-4000-8000-000000000000', 'cam-1', 'job-1');
      expect((await t.request('GET', deviceUrl(other), undefined, null)).status).toBe(403);
      expect((await t.request('GET', `/api/v1/artifacts/${artifact.id}/device-download`, undefined, null)).status).toBe(403);
    });
  });

  it('refuses deletion with 409 while the deletion guard names a user, then deletes the row and the bytes', async () => {
    const extra = await upload(t, firmwareFields('guarded', '1.0.0'), { content: randomBytes(1000) });
    const access = t.app.get(ArtifactAccess);
    access.registerDeletionGuard(async (id) => (id === extra.body.id ? "rollout 'r1' is running" : null));
    const refused = await t.request('DELETE', `/api/v1/artifacts/${extra.body.id}`);
    expect([refused.status, refused.body.message]).toEqual([409, expect.stringContaining("rollout 'r1' is running")]);
    expect((await t.request('GET', `/api/v1/artifacts/${extra.body.id}`)).status).toBe(200);
    access.registerDeletionGuard(async () => null);
    expect((await t.request('DELETE', `/api/v1/artifacts/${extra.body.id}`)).status).toBe(204);
    expect((await t.request('GET', `/api/v1/artifacts/${extra.body.id}`)).status).toBe(404);
    expect(blobFiles(dataDir)).toEqual([sha256]);
    const audit = await t.request('GET', `/api/v1/audit?resourceType=artifact&resourceId=${extra.body.id}`);
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(['artifact.delete', 'artifact.create']);
  });
});
