import { Injectable } from '@nestjs/common';
import { AuditService } from '@edgefleet/audit';
import { type Actor, ConflictError, NotFoundError, type Page, SYSTEM_ACTOR, decodeCursor, hashSecret, newSecret, toPage } from '@edgefleet/common';
import type { ApiRole } from '@edgefleet/contracts';
import { type DbTx, Transactor } from '@edgefleet/database';
import { API_TOKEN_PREFIX, type ApiKey } from './api-key';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeyCache } from './api-key.cache';

@Injectable()
export class ApiKeyService {
  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly cache: ApiKeyCache,
    private readonly audit: AuditService,
    private readonly transactor: Transactor,
  ) {}

  /** Creates a key; the token is returned here only, and stored hashed. */
  create(actor: Actor, name: string, role: ApiRole, token = newSecret(API_TOKEN_PREFIX)): Promise<{ key: ApiKey; token: string }> {
    return this.transactor.run((tx) => this.insert(actor, name, role, token, tx));
  }

  async list(limit: number, cursor?: string): Promise<Page<ApiKey>> {
    return toPage(await this.keys.list(limit, decodeCursor(cursor)), limit, (key) => key.id);
  }

  async revoke(actor: Actor, id: string): Promise<ApiKey> {
    const existing = await this.keys.findById(id);
    if (!existing) throw new NotFoundError('api key', id);
    if (existing.revokedAt) throw new ConflictError(`api key '${id}' is already revoked`);
    const revoked = await this.transactor.run(async (tx) => {
      const row = await this.keys.revoke(id, tx);
      await this.audit.record(actor, { action: 'api-key.revoke', resourceType: 'api-key', resourceId: id, before: existing, after: row }, tx);
      return row;
    });
    this.cache.forget(id);
    return revoked;
  }

  /** The key a bearer token belongs to, or null for an unknown or revoked token. */
  authenticate(token: string): Promise<ApiKey | null> {
    return this.cache.resolve(hashSecret(token), (hash) => this.keys.findActiveByHash(hash));
  }

  /**
   * CONTRACT §1: FLEET_ADMIN_TOKEN is registered as an admin key if it is not one yet;
   * without it, and with no admin key at all, one is generated and returned to print once.
   */
  async bootstrapAdmin(configuredToken?: string): Promise<string | null> {
    // Check and insert under one lock: the first of several nodes starting together makes the key, the others find it.
    return this.transactor.run(async (tx) => {
      await this.keys.lockBootstrap(tx);
      if (configuredToken) {
        if (!(await this.keys.findActiveByHash(hashSecret(configuredToken), tx))) {
          await this.insert(SYSTEM_ACTOR, 'bootstrap admin (FLEET_ADMIN_TOKEN)', 'admin', configuredToken, tx);
        }
        return null;
      }
      if (await this.keys.hasActiveAdmin(tx)) return null;
      return (await this.insert(SYSTEM_ACTOR, 'bootstrap admin (generated)', 'admin', newSecret(API_TOKEN_PREFIX), tx)).token;
    });
  }

  private async insert(actor: Actor, name: string, role: ApiRole, token: string, tx: DbTx): Promise<{ key: ApiKey; token: string }> {
    const key = await this.keys.create({ name, role, tokenHash: hashSecret(token), prefix: token.slice(0, 12) }, tx);
    await this.audit.record(actor, { action: 'api-key.create', resourceType: 'api-key', resourceId: key.id, after: key }, tx);
    return { key, token };
  }
}
