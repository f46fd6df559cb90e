import { ConfigError, loadConfig } from '@edgefleet/config';

describe('artifact settings', () => {
  it('has defaults: 2 GiB uploads, 1 h URLs, 64 KiB chunks, a generated key, the server address', () => {
    expect(loadConfig({}).artifacts).toEqual({
      maxUploadBytes: 2 * 1024 ** 3,
      signingKeyFile: undefined,
      publicUrl: undefined,
      downloadUrlTtlSeconds: 3600,
      chunkMaxBytes: 64 * 1024,
    });
  });

  it('reads every setting', () => {
    const config = loadConfig({
      ARTIFACT_MAX_UPLOAD_MB: '10',
      FLEET_SIGNING_KEY_FILE: __filename,
      FLEET_PUBLIC_URL: 'https://fleet.example.com/',
      ARTIFACT_URL_TTL_SECONDS: '60',
      ARTIFACT_CHUNK_MAX_KB: '128',
    });
    expect(config.artifacts).toEqual({
      maxUploadBytes: 10 * 1024 * 1024,
      signingKeyFile: __filename,
      publicUrl: 'https://fleet.example.com',
      downloadUrlTtlSeconds: 60,
      chunkMaxBytes: 128 * 1024,
    });
  });

  it.each([
    [{ ARTIFACT_MAX_UPLOAD_MB: '0' }, 'ARTIFACT_MAX_UPLOAD_MB'],
    [{ FLEET_SIGNING_KEY_FILE: '/nope.pem' }, 'FLEET_SIGNING_KEY_FILE'],
    [{ FLEET_PUBLIC_URL: 'ftp://x' }, 'FLEET_PUBLIC_URL'],
    [{ ARTIFACT_URL_TTL_SECONDS: 'soon' }, 'ARTIFACT_URL_TTL_SECONDS'],
    [{ ARTIFACT_CHUNK_MAX_KB: '99999' }, 'ARTIFACT_CHUNK_MAX_KB'],
  ])('%p fails naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^${variable}:`));
  });
});
