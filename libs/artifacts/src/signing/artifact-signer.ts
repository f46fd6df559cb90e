import { type KeyObject, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { ConfigError } from '@edgefleet/config';
import { type SignedArtifactFields, artifactSignatureMessage } from '@edgefleet/contracts';
import { ARTIFACTS_OPTIONS, type ArtifactsOptions } from '../artifacts-options';
import { readOrCreateSecretFile } from '@edgefleet/common';
import type { SigningKey } from './signing-key';
import { SigningKeyRepository } from './signing-key.repository';

export const GENERATED_SIGNING_KEY_FILE = 'artifact-signing-key.pem';

interface LoadedKey {
  id: string;
  privateKey: KeyObject;
  publicKeyPem: string;
}

/**
 * Signs artifacts with Ed25519 (CONTRACT §3). The key comes from `FLEET_SIGNING_KEY_FILE`
 * or is generated at first start in `$FLEET_DATA_DIR/keys`. Every key that has been current
 * is published (signing_keys), so rotating to a new key leaves older signatures verifiable.
 */
@Injectable()
export class ArtifactSigner implements OnModuleInit {
  private key?: LoadedKey;

  constructor(
    @Inject(ARTIFACTS_OPTIONS) private readonly options: ArtifactsOptions,
    private readonly keys: SigningKeyRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    const key = await this.loadKey();
    await this.keys.publish(key.id, key.publicKeyPem);
    this.key = key;
  }

  sign(artifact: SignedArtifactFields): { signature: string; keyId: string } {
    const key = this.loaded();
    const signature = sign(null, Buffer.from(artifactSignatureMessage(artifact), 'utf8'), key.privateKey);
    return { signature: signature.toString('base64'), keyId: key.id };
  }

  current(): { id: string; publicKeyPem: string } {
    const { id, publicKeyPem } = this.loaded();
    return { id, publicKeyPem };
  }

  /** Every published key, newest first. */
  published(): Promise<SigningKey[]> {
    return this.keys.list();
  }

  private loaded(): LoadedKey {
    if (!this.key) throw new Error('the artifact signing key is not loaded yet');
    return this.key;
  }

  private async loadKey(): Promise<LoadedKey> {
    const configured = this.options.signingKeyFile;
    if (configured) return toLoadedKey(await readFile(configured), 'FLEET_SIGNING_KEY_FILE');
    const path = join(this.options.dataDir, 'keys', GENERATED_SIGNING_KEY_FILE);
    const pem = await readOrCreateSecretFile(path, () =>
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }),
    );
    return toLoadedKey(pem, 'FLEET_DATA_DIR');
  }
}

function toLoadedKey(pem: Buffer, setting: string): LoadedKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    throw new ConfigError(setting, 'the artifact signing key is not a PEM private key');
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new ConfigError(setting, `the artifact signing key is ${privateKey.asymmetricKeyType}, not Ed25519`);
  }
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return {
    id: createHash('sha256').update(der).digest('hex').slice(0, 16),
    privateKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
