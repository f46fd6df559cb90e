import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrorDto, EventStreamSlots } from '@edgefleet/api';
import type { Actor } from '@edgefleet/common';
import { CurrentActor } from '@edgefleet/auth';
import { RolloutControlService } from './rollout-control.service';
import { RolloutEvents } from './rollout-events';
import { CreateRolloutDto, toRolloutRequest } from './rollout-request.dto';
import {
  RolloutDto,
  RolloutJobPageDto,
  RolloutJobQueryDto,
  RolloutListQueryDto,
  RolloutPageDto,
  RolloutPreviewDto,
  toRolloutDto,
  toRolloutJobDto,
  toRolloutPreviewDto,
} from './rollout.dto';
import { RolloutService } from './rollout.service';

@ApiTags('rollouts')
@ApiBearerAuth()
@Controller('api/v1/rollouts')
export class RolloutController {
  constructor(
    private readonly rollouts: RolloutService,
    private readonly controls: RolloutControlService,
    private readonly events: RolloutEvents,
    private readonly streams: EventStreamSlots,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create a firmware or config rollout; without a future startAt it starts at once (targets frozen now; with target.includeNewDevices, later matches of its selector or dynamic groups are added while it runs)' })
  @ApiCreatedResponse({ type: RolloutDto })
  async create(@CurrentActor() actor: Actor, @Body() body: CreateRolloutDto): Promise<RolloutDto> {
    return toRolloutDto(await this.rollouts.create(actor, toRolloutRequest(body)));
  }

  @Post('preview')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resolve targets and wave membership for a create body, without creating anything' })
  @ApiOkResponse({ type: RolloutPreviewDto })
  async preview(@Body() body: CreateRolloutDto): Promise<RolloutPreviewDto> {
    return toRolloutPreviewDto(await this.rollouts.preview(toRolloutRequest(body)));
  }

  @Get()
  @ApiOperation({ summary: 'List rollouts, newest first, with counts' })
  @ApiOkResponse({ type: RolloutPageDto })
  async list(@Query() query: RolloutListQueryDto): Promise<RolloutPageDto> {
    const page = await this.rollouts.list(query.limit, query.cursor, query.state);
    return { items: page.items.map(toRolloutDto), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read a rollout: state, counts per job status and per wave' })
  @ApiOkResponse({ type: RolloutDto })
  async get(@Param('id') id: string): Promise<RolloutDto> {
    return toRolloutDto(await this.rollouts.get(id));
  }

  @Get(':id/devices')
  @ApiOperation({ summary: "The rollout's devices with job status, attempts and last error; filter by status or wave" })
  @ApiOkResponse({ type: RolloutJobPageDto })
  async devices(@Param('id') id: string, @Query() query: RolloutJobQueryDto): Promise<RolloutJobPageDto> {
    const page = await this.rollouts.devices(id, { status: query.status, wave: query.wave }, query.limit, query.cursor);
    return { items: page.items.map(toRolloutJobDto), nextCursor: page.nextCursor };
  }

  @Post(':id/pause')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pause: no new devices start; devices in flight finish' })
  @ApiOkResponse({ type: RolloutDto })
  async pause(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<RolloutDto> {
    return toRolloutDto(await this.controls.pause(actor, id));
  }

  @Post(':id/resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume a paused rollout' })
  @ApiOkResponse({ type: RolloutDto })
  async resume(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<RolloutDto> {
    return toRolloutDto(await this.controls.resume(actor, id));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel: every unfinished job is cancelled and its device told (job document cleared, notify list updated)' })
  @ApiOkResponse({ type: RolloutDto })
  async cancel(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<RolloutDto> {
    return toRolloutDto(await this.controls.cancel(actor, id));
  }

  @Get(':id/events')
  @ApiOperation({
    summary:
      'Server-sent events: a `progress` event (a RolloutDto) whenever counts or state change, then `end` once nothing is left to do. 429 (with Retry-After) past SSE_MAX_STREAMS open streams, or SSE_MAX_STREAMS_PER_TOKEN for this token',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'text/event-stream of `progress` events whose data is a RolloutDto' })
  @ApiTooManyRequestsResponse({ description: 'Too many event streams open (in total or for this token); try again after Retry-After seconds', type: ApiErrorDto })
  async stream(@CurrentActor() actor: Actor, @Param('id') id: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.rollouts.find(id);
    const release = this.streams.take(actor.id ?? actor.name);
    const abort = new AbortController();
    request.raw.on('close', () => abort.abort());
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    try {
      for await (const view of this.events.watch(id, abort.signal)) {
        // A client that does not read is not written to until it has: it skips to the newest view.
        if (!raw.write(`event: progress\ndata: ${JSON.stringify(toRolloutDto(view))}\n\n`)) await drained(raw, abort.signal);
      }
      if (!abort.signal.aborted) raw.write('event: end\ndata: {}\n\n');
    } catch (error) {
      raw.write(`event: error\ndata: ${JSON.stringify({ message: (error as Error).message })}\n\n`);
    } finally {
      release();
      raw.end();
    }
  }
}

function drained(stream: NodeJS.WritableStream, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    stream.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
