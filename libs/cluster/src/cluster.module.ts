import { type DynamicModule, Module } from '@nestjs/common';
import { RegistryModule } from '@edgefleet/registry';
import { CLUSTER_OPTIONS, type ClusterOptions } from './cluster-options';
import { ClusterMembership } from './cluster-membership';
import { ClusterNodeRepository } from './cluster-node.repository';
import { ClusterSignals } from './cluster-signals';

/** Membership and cross-node signals. Global: the broker and the gateway use the signals. */
@Module({})
export class ClusterModule {
  static forRoot(options: ClusterOptions): DynamicModule {
    return {
      module: ClusterModule,
      global: true,
      imports: [RegistryModule],
      providers: [{ provide: CLUSTER_OPTIONS, useValue: options }, ClusterNodeRepository, ClusterMembership, ClusterSignals],
      exports: [CLUSTER_OPTIONS, ClusterMembership, ClusterSignals],
    };
  }
}
