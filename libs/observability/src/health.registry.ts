import { Injectable } from '@nestjs/common';

export type ComponentStatus = 'up' | 'down' | 'disabled';

export interface ComponentHealth {
  status: ComponentStatus;
  [detail: string]: unknown;
}

export type HealthCheck = () => Promise<ComponentHealth> | ComponentHealth;

/** Components (db, broker, ...) register a check by name; GET /health runs them all. */
@Injectable()
export class HealthRegistry {
  private readonly checks = new Map<string, HealthCheck>();
  private readonly factSources: (() => Record<string, unknown>)[] = [];

  register(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  /** Top-level fields of GET /health that are not components (the cluster's `node` and `peers`). */
  describe(facts: () => Record<string, unknown>): void {
    this.factSources.push(facts);
  }

  facts(): Record<string, unknown> {
    return Object.assign({}, ...this.factSources.map((facts) => facts()));
  }

  /** `degraded` when a component is down; `warnings` collects what components flag without being down (low disk). */
  async report(): Promise<{ status: 'ok' | 'degraded'; components: Record<string, ComponentHealth>; warnings: string[] }> {
    const components: Record<string, ComponentHealth> = {};
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        try {
          components[name] = await check();
        } catch (error) {
          components[name] = { status: 'down', error: (error as Error).message };
        }
      }),
    );
    const status = Object.values(components).some((component) => component.status === 'down') ? 'degraded' : 'ok';
    const warnings = Object.values(components).flatMap((component) => (typeof component.warning === 'string' ? [component.warning] : []));
    return { status, components, warnings };
  }
}
