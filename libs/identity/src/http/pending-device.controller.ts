import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import type { Actor } from '@edgefleet/common';
import { CurrentActor } from '@edgefleet/auth';
import { DeviceDto, toDeviceDto } from '@edgefleet/registry';
import type { PendingDevice } from '../pending/pending-device';
import { PendingDeviceService } from '../pending/pending-device.service';

export class PendingDeviceDto {
  @ApiProperty({ description: 'The device id: its certificate\'s CN' }) deviceId!: string;
  @ApiProperty({ description: 'Id of the registered CA that issued its certificate' }) caId!: string;
  @ApiProperty({ description: 'SHA-256 fingerprint of the certificate it presented' }) fingerprint!: string;
  @ApiProperty({ description: 'Its certificate, PEM' }) certificate!: string;
  @ApiProperty({ description: 'End of the certificate\'s validity (ISO 8601)' }) notAfter!: string;
  @ApiPropertyOptional({ description: 'When an operator rejected it (ISO 8601); null while pending', nullable: true, type: String }) rejectedAt!: string | null;
  @ApiProperty({ description: 'Its first CONNECT (ISO 8601)' }) firstSeenAt!: string;
}

export class PendingDeviceListDto {
  @ApiProperty({ type: [PendingDeviceDto], description: 'Devices waiting for a decision, and rejected ones, oldest first' }) items!: PendingDeviceDto[];
}

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

function toPendingDeviceDto(device: PendingDevice): PendingDeviceDto {
  return {
    deviceId: device.deviceId,
    caId: device.caId,
    fingerprint: device.fingerprint,
    certificate: device.certificatePem,
    notAfter: device.notAfter.toISOString(),
    rejectedAt: device.rejectedAt?.toISOString() ?? null,
    firstSeenAt: device.firstSeenAt.toISOString(),
  };
}
