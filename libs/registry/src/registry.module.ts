import { Module } from '@nestjs/common';
import { AuditModule } from '@edgefleet/audit';
import { DeviceQueryResolver } from './device-query.resolver';
import { DeviceController } from './devices/device.controller';
import { DeviceEvents } from './devices/device-events';
import { DeviceRepository } from './devices/device.repository';
import { DeviceService } from './devices/device.service';
import { DeviceStatistics } from './devices/device-statistics';
import { FleetController } from './fleet/fleet.controller';
import { FleetOverviewService } from './fleet/fleet-overview.service';
import { OnlineHistory } from './fleet/online-history';
import { GroupController } from './groups/group.controller';
import { GroupRepository } from './groups/group.repository';
import { GroupService } from './groups/group.service';

@Module({
  imports: [AuditModule],
  controllers: [DeviceController, GroupController, FleetController],
  providers: [DeviceRepository, DeviceService, DeviceEvents, DeviceQueryResolver, DeviceStatistics, GroupRepository, GroupService, FleetOverviewService, OnlineHistory],
  exports: [DeviceService, DeviceRepository, DeviceEvents, DeviceQueryResolver],
})
export class RegistryModule {}
