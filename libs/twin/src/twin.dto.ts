import { ApiProperty } from '@nestjs/swagger';
import type { TwinDocument } from '@edgefleet/contracts';
import type { Twin } from './twin';

const DOCUMENT = { type: 'object', additionalProperties: true } as const;

export class TwinDto {
  @ApiProperty({ ...DOCUMENT, description: 'Desired state set by operators (and config rollouts)', example: { sampling: { intervalSeconds: 30 } } })
  desired!: TwinDocument;

  @ApiProperty({ ...DOCUMENT, description: 'Reported state as last persisted (at most one flush interval behind the device)', example: { firmware: { version: '2.1.0' } } })
  reported!: TwinDocument;

  @ApiProperty({ ...DOCUMENT, description: 'Desired keys whose values differ from reported (nested objects compared key by key); {} when in sync' })
  delta!: TwinDocument;

  @ApiProperty({ description: 'Bumped by every change to desired state; send it as If-Match to PATCH .../twin/desired', example: 3 })
  desiredVersion!: number;

  @ApiProperty({ description: 'Bumped by every report that changed reported state', example: 42 })
  reportedVersion!: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string', format: 'date-time' },
    description: 'For each top-level reported key, when its value last changed',
    example: { firmware: '2026-11-25T18:00:00.000Z' },
  })
  reportedUpdatedAt!: Record<string, string>;
}

export function toTwinDto(twin: Twin): TwinDto {
  return {
    desired: twin.desired,
    reported: twin.reported,
    delta: twin.delta,
    desiredVersion: twin.desiredVersion,
    reportedVersion: twin.reportedVersion,
    reportedUpdatedAt: twin.reportedUpdatedAt,
  };
}

/** The ETag of a twin: its desired version, which is what If-Match is checked against. */
export function twinEtag(twin: Twin): string {
  return `"${twin.desiredVersion}"`;
}
