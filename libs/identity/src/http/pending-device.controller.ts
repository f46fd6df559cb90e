import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from '@edgefleet/common';
import { CurrentActor } from '@edgefleet/auth';
import { DeviceDto, toDeviceDto } from '@edgefleet/registry';
import { PendingDeviceService } from '../pending/pending-device.service';
import { PendingDeviceListDto, toPendingDeviceDto } from './pending-device.dto';

@ApiTags('certificates')
@ApiBearerAuth()
@Controller('api/v1/pending-devices')
export class PendingDeviceController {
  constructor(private readonly pending: PendingDeviceService) {}

  @Get()
  @ApiOperation({ summary: 'Devices held by a CA\'s `pending` auto-registration policy until an operator accepts or rejects them' })
  async list(): Promise<PendingDeviceListDto> {
    return { items: (await this.pending.list()).map(toPendingDeviceDto) };
  }

  @Post(':id/accept')
  @HttpCode(200)
  @ApiOperation({ summary: 'Register the device with its CA\'s policy (type, tags); its next CONNECT is accepted' })
  async accept(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<DeviceDto> {
    return toDeviceDto(await this.pending.accept(actor, id));
  }

  @Post(':id/reject')
  @HttpCode(204)
  @ApiOperation({ summary: 'Reject the device: its CONNECTs stay refused' })
  async reject(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<void> {
    await this.pending.reject(actor, id);
  }
}
