import { type DynamicModule, Module } from '@nestjs/common';
import { RegistryModule } from '@edgefleet/registry';
import { BROKER_OPTIONS, type BrokerOptions } from './broker-options';
import { BrokerMetrics } from './broker-metrics';
import { BrokerService } from './broker.service';
import { CredentialCache } from './credential-cache';
import { DeviceBrokerHooks } from './device-broker-hooks';
import { LiveSessions } from './live-sessions';
import { PresenceWriter } from './presence-writer';
import { SessionRevocations } from './session-revocations';

/** The embedded MQTT broker. It listens only when `BrokerService.listen*` is called (see FleetServer). */
@Module({})
export class BrokerModule {
  static forRoot(options: BrokerOptions): DynamicModule {
    return {
      module: BrokerModule,
      // Global so the gateway (and only it) can reach the broker without importing its configuration again.
      global: true,
      imports: [RegistryModule],
      providers: [{ provide: BROKER_OPTIONS, useValue: options }, BrokerService, BrokerMetrics, CredentialCache, DeviceBrokerHooks, LiveSessions, PresenceWriter, SessionRevocations],
      // PresenceWriter too: with an external broker the gateway records presence through the same batched writer.
      exports: [BrokerService, PresenceWriter],
    };
  }
}
