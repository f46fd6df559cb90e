import {
  artifactChunkRequestSpec,
  artifactChunkRequestTopic,
  artifactDataTopic,
  artifactSignatureMessage,
  decodeArtifactChunk,
  encodeArtifactChunk,
  topicMatches,
} from '@edgefleet/contracts';

describe('artifact messages (CONTRACT §3)', () => {
  it('builds the signed message exactly', () => {
    expect(artifactSignatureMessage({ id: 'a1', version: '2.1.0', sha256: 'ab'.repeat(32), size: 42 })).toBe(
      `edgefleet-artifact-v1\na1\n2.1.0\n${'ab'.repeat(32)}\n42`,
    );
  });

  it('names the chunk topics', () => {
    expect(artifactChunkRequestTopic('d1', 'a1')).toBe('devices/d1/artifacts/a1/get');
    expect(artifactDataTopic('d1', 'a1')).toBe('devices/d1/artifacts/a1/data');
    expect(topicMatches(artifactChunkRequestSpec.pattern, artifactChunkRequestTopic('d1', 'a1'))).toBe(true);
  });

  it('encodes a chunk as an 8-byte big-endian offset, then the bytes', () => {
    const payload = encodeArtifactChunk(2 ** 32 + 5, Buffer.from([1, 2, 3]));
    expect([...payload]).toEqual([0, 0, 0, 1, 0, 0, 0, 5, 1, 2, 3]);
    expect(decodeArtifactChunk(payload)).toEqual({ offset: 2 ** 32 + 5, bytes: Buffer.from([1, 2, 3]) });
    expect(() => decodeArtifactChunk(Buffer.alloc(7))).toThrow(/8-byte/);
  });

  it('accepts {offset, length} and refuses anything else', () => {
    expect(artifactChunkRequestSpec.check({ offset: 0, length: 65536 })).toEqual({ ok: true, value: { offset: 0, length: 65536 } });
    for (const bad of ['text', null, [], { offset: 0 }, { offset: -1, length: 1 }, { offset: 0, length: 0 }, { offset: 1.5, length: 1 }, { offset: 0, length: 1, x: 1 }]) {
      expect(artifactChunkRequestSpec.check(bad).ok).toBe(false);
    }
  });
});
