import { createHash, createPublicKey, verify } from 'node:crypto';
import { createReadStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type SignedArtifactFields, artifactSignatureMessage } from '@edgefleet/contracts';
import { ok } from '../api-result';
import { CliError } from '../cli-error';
import { EXIT } from '../exit-codes';
import type { Connection } from '../config/connection';
import { configDir } from '../config/context-store';

export interface ArtifactMetadata extends SignedArtifactFields {
  signature: string;
  signingKeyId?: string;
  [field: string]: unknown;
}

interface SigningKey {
  id: string;
  publicKeyPem: string;
  current: boolean;
}

export interface Verdict {
  file: string;
  artifactId: string;
  version: string;
  sha256: { expected: string; actual: string; ok: boolean };
  size: { expected: number; actual: number; ok: boolean };
  signature: { keyId: string | null; ok: boolean };
  ok: boolean;
}

/**
 * What `artifacts verify` needs from the server, kept after the first fetch: an artifact's
 * signed fields (immutable once uploaded) and the published signing keys, per server, under
 * the config dir's `cache/`. Later checks of the same artifact need no network at all.
 */
export class VerificationCache {
  private readonly dir: string;

  constructor(env: NodeJS.ProcessEnv, server: string) {
    this.dir = join(configDir(env), 'cache', new URL(server).host.replace(/[^A-Za-z0-9.-]/g, '_'));
  }

  async artifact(connection: (() => Connection) | undefined, id: string): Promise<ArtifactMetadata> {
    const file = join(this.dir, 'artifacts', `${id.replace(/[^A-Za-z0-9-]/g, '_')}.json`);
    const cached = readJson<ArtifactMetadata>(file);
    if (cached) return cached;
    if (!connection) throw CliError.usage(`artifact ${id} is not in the cache: run once without --offline`);
    const artifact = await ok<ArtifactMetadata>(connection().api.GET('/api/v1/artifacts/{id}', { params: { path: { id } } }), `artifact ${id}`);
    writeJson(file, artifact);
    return artifact;
  }

  async key(connection: (() => Connection) | undefined, keyId: string | undefined): Promise<SigningKey> {
    const file = join(this.dir, 'signing-keys.json');
    const pick = (keys: SigningKey[] | undefined) => keys?.find((key) => (keyId ? key.id === keyId : key.current));
    const cached = pick(readJson<SigningKey[]>(file));
    if (cached) return cached;
    if (!connection) throw CliError.usage(`signing key ${keyId ?? '(current)'} is not in the cache: run once without --offline, or give --key`);
    const { items } = await ok<{ items: SigningKey[] }>(connection().api.GET('/api/v1/signing-keys'), 'signing keys');
    writeJson(file, items);
    const key = pick(items);
    if (!key) throw new CliError(`the server publishes no signing key ${keyId}`, EXIT.verifyFailed);
    return key;
  }
}

/** The file's SHA-256 and size against the artifact's, and the Ed25519 signature over them with `publicKeyPem`. */
export async function verifyArtifactFile(file: string, artifact: ArtifactMetadata, publicKeyPem: string, keyId: string | null): Promise<Verdict> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
    }
  } catch (error) {
    throw CliError.usage(`cannot read ${file}: ${(error as Error).message}`);
  }
  const actual = hash.digest('hex');
  let signatureOk = false;
  try {
    // The signature covers the artifact's id, version, hash and size: checked against the
    // file's own hash and size, it proves these bytes are the release the server signed.
    const message = artifactSignatureMessage({ id: artifact.id, version: artifact.version, sha256: actual, size });
    signatureOk = verify(null, Buffer.from(message, 'utf8'), createPublicKey(publicKeyPem), Buffer.from(artifact.signature, 'base64'));
  } catch (error) {
    throw CliError.usage(`cannot check the signature: ${(error as Error).message}`);
  }
  const sha256 = { expected: artifact.sha256, actual, ok: actual === artifact.sha256 };
  const sizes = { expected: artifact.size, actual: size, ok: size === artifact.size };
  return { file, artifactId: artifact.id, version: artifact.version, sha256, size: sizes, signature: { keyId, ok: signatureOk }, ok: sha256.ok && sizes.ok && signatureOk };
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function writeJson(file: string, value: unknown): void {
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(value));
}
