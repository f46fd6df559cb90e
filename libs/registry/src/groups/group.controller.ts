import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from '@edgefleet/common';
import { PageQueryDto } from '@edgefleet/api';
import { CurrentActor } from '@edgefleet/auth';
import type { Group } from './group';
import { AddGroupDevicesDto, AddedGroupDevicesDto, CreateGroupDto, GroupDto, GroupPageDto, UpdateGroupDto, toGroupDto } from './group.dto';
import { GroupService } from './group.service';

@ApiTags('groups')
@ApiBearerAuth()
@Controller('api/v1/groups')
export class GroupController {
  constructor(private readonly groups: GroupService) {}

  @Post()
  @ApiOperation({ summary: 'Create a static group, or a dynamic one with a selector' })
  @ApiCreatedResponse({ type: GroupDto })
  async create(@CurrentActor() actor: Actor, @Body() body: CreateGroupDto): Promise<GroupDto> {
    return this.toDto(await this.groups.create(actor, body.name, body.selector ? { ...body.selector } : null));
  }

  @Get()
  @ApiOperation({ summary: 'List groups' })
  @ApiOkResponse({ type: GroupPageDto })
  async list(@Query() query: PageQueryDto): Promise<GroupPageDto> {
    const page = await this.groups.list(query.limit, query.cursor);
    return { items: await Promise.all(page.items.map((group) => this.toDto(group))), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read a group (its devices: GET /api/v1/devices?group={id})' })
  @ApiOkResponse({ type: GroupDto })
  async get(@Param('id') id: string): Promise<GroupDto> {
    return this.toDto(await this.groups.get(id));
  }

  @Patch(':id')
  @ApiOperation({ summary: "Rename a group, or replace a dynamic group's selector" })
  @ApiOkResponse({ type: GroupDto })
  async update(@CurrentActor() actor: Actor, @Param('id') id: string, @Body() body: UpdateGroupDto): Promise<GroupDto> {
    return this.toDto(await this.groups.update(actor, id, { name: body.name, selector: body.selector ? { ...body.selector } : undefined }));
  }

  @Post(':id/devices')
  @HttpCode(200)
  @ApiOperation({ summary: 'Add many devices to a static group in one call; ids that are not registered are listed, the rest are added' })
  @ApiOkResponse({ type: AddedGroupDevicesDto })
  async addDevices(@CurrentActor() actor: Actor, @Param('id') id: string, @Body() body: AddGroupDevicesDto): Promise<AddedGroupDevicesDto> {
    return this.groups.addDevices(actor, id, body.deviceIds);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a group (its devices stay registered)' })
  async delete(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<void> {
    await this.groups.delete(actor, id);
  }

  @Put(':id/devices/:deviceId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Add a device to a static group (idempotent)' })
  async addDevice(@CurrentActor() actor: Actor, @Param('id') id: string, @Param('deviceId') deviceId: string): Promise<void> {
    await this.groups.addDevice(actor, id, deviceId);
  }

  @Delete(':id/devices/:deviceId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a device from a static group (idempotent)' })
  async removeDevice(@CurrentActor() actor: Actor, @Param('id') id: string, @Param('deviceId') deviceId: string): Promise<void> {
    await this.groups.removeDevice(actor, id, deviceId);
  }

  private async toDto(group: Group): Promise<GroupDto> {
    return toGroupDto(group, await this.groups.memberCount(group));
  }
}
