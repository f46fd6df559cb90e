import { Body, Controller, Delete, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from '@edgefleet/common';
import { PageQueryDto } from '@edgefleet/api';
import { ApiKeyDto, ApiKeyPageDto, CreateApiKeyDto, CreatedApiKeyDto, toApiKeyDto } from './api-key.dto';
import { ApiKeyService } from './api-key.service';
import { CurrentActor, MinRole } from './auth.decorators';

@ApiTags('api-keys')
@ApiBearerAuth()
@MinRole('admin')
@Controller('api/v1/api-keys')
export class ApiKeyController {
  constructor(private readonly keys: ApiKeyService) {}

  @Post()
  @ApiOperation({ summary: 'Create an API token (shown once)' })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  async create(@CurrentActor() actor: Actor, @Body() body: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    const { key, token } = await this.keys.create(actor, body.name, body.role);
    return { ...toApiKeyDto(key), token };
  }

  @Get()
  @ApiOperation({ summary: 'List API keys (tokens are never shown again)' })
  @ApiOkResponse({ type: ApiKeyPageDto })
  async list(@Query() query: PageQueryDto): Promise<ApiKeyPageDto> {
    const page = await this.keys.list(query.limit, query.cursor);
    return { items: page.items.map(toApiKeyDto), nextCursor: page.nextCursor };
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke an API key; it stops authenticating within 5 seconds everywhere, at once in this process' })
  @ApiOkResponse({ type: ApiKeyDto })
  async revoke(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<ApiKeyDto> {
    return toApiKeyDto(await this.keys.revoke(actor, id));
  }
}
