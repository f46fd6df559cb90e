import { randomBytes } from 'node:crypto';
import { signDownloadToken, verifyDownloadToken } from '../src/delivery/download-token';

describe('device download tokens', () => {
  const secret = randomBytes(32);
  const grant = { artifactId: 'a1', deviceId: 'cam-1', jobId: 'j1', expiresAt: 2_000 };

  it('verifies its own token until it expires', () => {
    const token = signDownloadToken(grant, secret);
    expect(verifyDownloadToken(token, secret, 1_999)).toEqual({ ok: true, grant });
    expect(verifyDownloadToken(token, secret, 2_000)).toEqual({ ok: false, reason: expect.stringMatching(/expired/) });
  });

  it('refuses another secret, a changed payload, a changed MAC and junk', () => {
    const token = signDownloadToken(grant, secret);
    const [payload, mac] = token.split('.');
    expect(verifyDownloadToken(token, randomBytes(32), 0).ok).toBe(false);
    const otherDevice = signDownloadToken({ ...grant, deviceId: 'cam-2' }, secret).split('.')[0];
    expect(verifyDownloadToken(`${otherDevice}.${mac}`, secret, 0).ok).toBe(false);
    expect(verifyDownloadToken(`${payload}.${mac.slice(0, -2)}AA`, secret, 0).ok).toBe(false);
    for (const junk of ['', '.', 'abc', `${payload}.${mac}.x`]) expect(verifyDownloadToken(junk, secret, 0).ok).toBe(false);
  });
});
