import { ApiProperty } from '@nestjs/swagger';
import type { FleetSummary } from '../devices/device';
import { ONLINE_SAMPLE_MS, type OnlineSample } from './online-history';

export class TypeCountDto {
  @ApiProperty({ description: 'Device type' }) type!: string;
  @ApiProperty({ description: 'Devices of this type' }) count!: number;
}

export class FirmwareCountDto {
  @ApiProperty({ description: 'Reported firmware version; null for devices that reported none yet', nullable: true, type: String }) firmware!: string | null;
  @ApiProperty({ description: 'Devices reporting it' }) count!: number;
}

export class FleetSummaryDto {
  @ApiProperty({ description: 'Registered devices' }) total!: number;
  @ApiProperty({ description: 'Connected now' }) online!: number;
  @ApiProperty({ description: 'Not connected now' }) offline!: number;
  @ApiProperty({ description: 'Offline and not seen for over 24 hours (or never seen)' }) offlineOver24h!: number;
  @ApiProperty({ type: [TypeCountDto], description: 'Devices per type, most first' }) byType!: TypeCountDto[];
  @ApiProperty({ type: [FirmwareCountDto], description: 'Devices per reported firmware version, most first' }) byFirmware!: FirmwareCountDto[];
}

export class OnlineSampleDto {
  @ApiProperty({ description: 'When the sample was taken' }) at!: string;
  @ApiProperty({ description: 'Devices online then' }) online!: number;
  @ApiProperty({ description: 'Devices registered then' }) total!: number;
}

export class OnlineHistoryDto {
  @ApiProperty({ description: 'Seconds between samples' }) intervalSeconds!: number;
  @ApiProperty({ type: [OnlineSampleDto], description: 'Samples oldest first, up to the last 24 hours since the server started' }) points!: OnlineSampleDto[];
}

export class DeviceCountDto {
  @ApiProperty({ description: 'Devices matching the filters' }) total!: number;
}

export function toFleetSummaryDto(summary: FleetSummary): FleetSummaryDto {
  return {
    total: summary.total,
    online: summary.online,
    offline: summary.offline,
    offlineOver24h: summary.offlineStale,
    byType: summary.byType.map((c) => ({ type: c.key, count: c.count })),
    byFirmware: summary.byFirmware.map((c) => ({ firmware: c.key, count: c.count })),
  };
}

export function toOnlineHistoryDto(points: OnlineSample[]): OnlineHistoryDto {
  return { intervalSeconds: ONLINE_SAMPLE_MS / 1000, points: points.map((p) => ({ at: p.at.toISOString(), online: p.online, total: p.total })) };
}
