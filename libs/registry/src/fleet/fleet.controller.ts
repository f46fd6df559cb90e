import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { FleetOverviewService } from './fleet-overview.service';
import { FleetSummaryDto, OnlineHistoryDto, toFleetSummaryDto, toOnlineHistoryDto } from './fleet.dto';

@ApiTags('fleet')
@ApiBearerAuth()
@Controller('api/v1/fleet')
export class FleetController {
  constructor(private readonly fleet: FleetOverviewService) {}

  @Get('summary')
  @ApiOperation({ summary: 'Devices per status, per type and per firmware version, and how many are offline over 24 hours (at most 5 s old)' })
  @ApiOkResponse({ type: FleetSummaryDto })
  async summary(): Promise<FleetSummaryDto> {
    return toFleetSummaryDto(await this.fleet.summary());
  }

  @Get('online-history')
  @ApiOperation({ summary: 'Devices online over time: one sample a minute, the last 24 hours (kept in memory since the server started)' })
  @ApiOkResponse({ type: OnlineHistoryDto })
  async onlineHistory(): Promise<OnlineHistoryDto> {
    return toOnlineHistoryDto(await this.fleet.onlineHistory());
  }
}
