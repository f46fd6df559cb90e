import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { PendingDevice } from '../pending/pending-device';

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

export function toPendingDeviceDto(device: PendingDevice): PendingDeviceDto {
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
