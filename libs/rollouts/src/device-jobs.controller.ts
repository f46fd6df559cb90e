import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DeviceJobsQueryDto, DeviceRolloutJobListDto, toDeviceRolloutJobDto } from './rollout.dto';
import { RolloutService } from './rollout.service';

@ApiTags('devices')
@ApiBearerAuth()
@Controller('api/v1/devices')
export class DeviceJobsController {
  constructor(private readonly rollouts: RolloutService) {}

  @Get(':id/jobs')
  @ApiOperation({ summary: "A device's jobs across rollouts, most recently changed first" })
  @ApiOkResponse({ type: DeviceRolloutJobListDto })
  async jobs(@Param('id') id: string, @Query() query: DeviceJobsQueryDto): Promise<DeviceRolloutJobListDto> {
    return { items: (await this.rollouts.jobsOfDevice(id, query.limit)).map(toDeviceRolloutJobDto) };
  }
}
