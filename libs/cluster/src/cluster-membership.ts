import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { HealthRegistry } from '@edgefleet/observability';
import { DeviceRepository } from '@edgefleet/registry';
import { CLUSTER_OPTIONS, type ClusterOptions } from './cluster-options';
import { ClusterNodeRepository } from './cluster-node.repository';

/**
 * Registers this node in `cluster_nodes` and rewrites its heartbeat every ~2 s. Each beat also
 * reads the live peers (shown in /health); when a node has stopped beating for `deadAfterMs`
 * (killed, cut off), the devices whose session is held by no live node are marked offline.
 */
@Injectable()
export class ClusterMembership implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Cluster');
  private peers: string[] = [];
  private timer?: NodeJS.Timeout;
  private beating?: Promise<void>;
  private swept = false;

  constructor(
    @Inject(CLUSTER_OPTIONS) private readonly options: ClusterOptions,
    private readonly nodes: ClusterNodeRepository,
    private readonly devices: DeviceRepository,
    private readonly health: HealthRegistry,
  ) {}

  get nodeId(): string {
    return this.options.nodeId;
  }

  /** Live peers as of the last heartbeat, this node excluded. */
  livePeers(): readonly string[] {
    return this.peers;
  }

  async onModuleInit(): Promise<void> {
    this.health.describe(() => ({ node: this.options.nodeId, peers: this.peers }));
    // Without FLEET_NODE_ID the server acts alone (it marks every device offline at start): no membership to keep.
    if (!this.options.joined) return;
    await this.beat();
    this.timer = setInterval(() => void this.beatOnce(), this.options.heartbeatMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
    try {
      await this.nodes.remove(this.options.nodeId);
    } catch (error) {
      this.logger.warn(`could not remove node '${this.options.nodeId}' from cluster_nodes: ${(error as Error).message}`);
    }
  }

  /** One beat at a time: a slow database does not pile them up. */
  private beatOnce(): Promise<void> {
    this.beating ??= this.beat().finally(() => (this.beating = undefined));
    return this.beating;
  }

  private async beat(): Promise<void> {
    try {
      await this.nodes.beat(this.options.nodeId);
      const live = await this.nodes.liveIds(this.options.deadAfterMs);
      this.peers = live.filter((id) => id !== this.options.nodeId);
      const dead = await this.nodes.removeDead(this.options.deadAfterMs);
      if (dead.length) this.logger.warn(`node(s) ${dead.join(', ')} stopped heartbeating: declared dead`);
      // A scan of every online device only until one succeeds (at start: nodes that died while
      // none was running); after that only when a node is declared dead.
      if (!this.swept || dead.length) {
        const orphaned = await this.devices.markOfflineUnlessHeldBy(live);
        this.swept = true;
        if (orphaned) this.logger.log(`marked ${orphaned} device(s) of dead nodes offline`);
      }
    } catch (error) {
      // The next beat tries again; peers keep their last known value.
      this.logger.warn(`heartbeat failed: ${(error as Error).message}`);
    }
  }
}
