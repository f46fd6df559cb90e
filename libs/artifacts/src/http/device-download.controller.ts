import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '@edgefleet/auth';
import { ArtifactService } from '../artifact.service';
import { DeviceDownloadTokens } from '../delivery/device-download-tokens';
import { ArtifactSender } from './artifact-sender';

/** The URL in a firmware job document: no API token, the signed `token` is the credential. */
@ApiTags('artifacts')
@Controller('api/v1/artifacts')
export class DeviceDownloadController {
  constructor(
    private readonly tokens: DeviceDownloadTokens,
    private readonly artifacts: ArtifactService,
    private readonly sender: ArtifactSender,
  ) {}

  @Public()
  @Get(':id/device-download')
  @ApiProduces('application/octet-stream')
  @ApiQuery({ name: 'token', description: 'Signed, expiring token bound to this artifact, the device and its job' })
  @ApiOperation({ summary: 'Device download (URL from the job document); Range/If-Range as for /download; 403 when the token is expired or not genuine' })
  async download(@Param('id') id: string, @Query('token') token: string | undefined, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.tokens.verify(token, id);
    await this.sender.send(request, reply, await this.artifacts.get(id));
  }
}
