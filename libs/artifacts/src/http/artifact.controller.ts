import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PageQueryDto } from '@edgefleet/api';
import { CurrentActor } from '@edgefleet/auth';
import type { Actor } from '@edgefleet/common';
import { ArtifactUploadService } from '../artifact-upload.service';
import { ArtifactService } from '../artifact.service';
import { ARTIFACTS_OPTIONS, type ArtifactsOptions } from '../artifacts-options';
import { ArtifactSender } from './artifact-sender';
import { ArtifactDto, ArtifactPageDto, UploadArtifactDto, toArtifactDto } from './artifact.dto';
import { receiveArtifactUpload } from './multipart-upload';

@ApiTags('artifacts')
@ApiBearerAuth()
@Controller('api/v1/artifacts')
export class ArtifactController {
  constructor(
    @Inject(ARTIFACTS_OPTIONS) private readonly options: ArtifactsOptions,
    private readonly artifacts: ArtifactService,
    private readonly uploads: ArtifactUploadService,
    private readonly sender: ArtifactSender,
  ) {}

  @Post()
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: UploadArtifactDto })
  @ApiOperation({
    summary: 'Upload firmware',
    description: 'Streamed to disk while hashed, signed, stored once per distinct content. 409 when (name, version) exists; 413 past the size limit; 507 when the disk is full (nothing is kept).',
  })
  @ApiCreatedResponse({ type: ArtifactDto })
  async upload(@CurrentActor() actor: Actor, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<ArtifactDto> {
    try {
      const { description, staged } = await receiveArtifactUpload(request, this.uploads, this.options.maxUploadBytes);
      return toArtifactDto(await this.uploads.create(actor, description, staged));
    } catch (error) {
      // Refused before its body was read to the end (disk full, too large): the rest of the body
      // would be the start of the next request on this connection, so it is closed after the answer.
      if (!request.raw.complete) reply.header('connection', 'close');
      throw error;
    }
  }

  @Get()
  @ApiOperation({ summary: 'List artifacts' })
  @ApiOkResponse({ type: ArtifactPageDto })
  async list(@Query() query: PageQueryDto): Promise<ArtifactPageDto> {
    const page = await this.artifacts.list(query.limit, query.cursor);
    return { items: page.items.map(toArtifactDto), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read an artifact' })
  @ApiOkResponse({ type: ArtifactDto })
  async get(@Param('id') id: string): Promise<ArtifactDto> {
    return toArtifactDto(await this.artifacts.get(id));
  }

  @Delete(':id/quarantine')
  @ApiOperation({ summary: 'Lift the quarantine a reverted health-gated rollout put on the artifact (new rollouts with it no longer need `force`)' })
  @ApiOkResponse({ type: ArtifactDto })
  async liftQuarantine(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<ArtifactDto> {
    return toArtifactDto(await this.artifacts.liftQuarantine(actor, id));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an artifact; 409 while a rollout that is not finished uses it' })
  async delete(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<void> {
    await this.artifacts.delete(actor, id);
  }

  @Get(':id/download')
  @ApiProduces('application/octet-stream')
  @ApiOperation({ summary: 'The bytes; one `Range` is answered with 206, `If-Range` takes the ETag (the quoted SHA-256)' })
  async download(@Param('id') id: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.sender.send(request, reply, await this.artifacts.get(id));
  }
}
