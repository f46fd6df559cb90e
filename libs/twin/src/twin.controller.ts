import { Body, Controller, Get, Headers, Param, Patch, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiHeader, ApiOkResponse, ApiOperation, ApiPreconditionFailedResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Actor } from '@edgefleet/common';
import { CurrentActor } from '@edgefleet/auth';
import { parseIfMatch } from './if-match';
import { TwinDto, toTwinDto, twinEtag } from './twin.dto';
import { TwinService } from './twin.service';

@ApiTags('twins')
@ApiBearerAuth()
@Controller('api/v1/devices/:id/twin')
export class TwinController {
  constructor(private readonly twins: TwinService) {}

  @Get()
  @ApiOperation({ summary: "Read a device's twin: desired, reported, delta and both versions; ETag is the desired version" })
  @ApiOkResponse({ type: TwinDto })
  async get(@Param('id') id: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<TwinDto> {
    const twin = await this.twins.get(id);
    void reply.header('ETag', twinEtag(twin));
    return toTwinDto(twin);
  }

  @Patch('desired')
  @ApiOperation({
    summary: 'Change desired state with a JSON merge patch (RFC 7396: null deletes a key); published retained to the device',
  })
  @ApiConsumes('application/merge-patch+json', 'application/json')
  @ApiBody({ schema: { type: 'object', additionalProperties: true, example: { sampling: { intervalSeconds: 30 }, debug: null } } })
  @ApiHeader({ name: 'If-Match', required: false, description: 'desiredVersion the change is based on ("3" or 3); 412 if the twin has moved on' })
  @ApiOkResponse({ type: TwinDto, description: 'The twin after the change; ETag is the new desired version' })
  @ApiPreconditionFailedResponse({ description: 'If-Match does not match the current desiredVersion; nothing changed' })
  async patchDesired(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Body() patch: Record<string, unknown>,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TwinDto> {
    const twin = await this.twins.patchDesired(id, patch, actor, { ifMatch: parseIfMatch(ifMatch) });
    void reply.header('ETag', twinEtag(twin));
    return toTwinDto(twin);
  }
}
