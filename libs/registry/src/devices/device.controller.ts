import { Body, Controller, Delete, Get, Header, HttpCode, Param, Patch, Post, Put, Query, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from '@edgefleet/common';
import { CurrentActor } from '@edgefleet/auth';
import {
  AuthMethodsDto,
  BatchRegisterDto,
  BatchRegisteredDto,
  CredentialsDto,
  DeviceCountQueryDto,
  DeviceDto,
  DeviceListQueryDto,
  DevicePageDto,
  RegisterDeviceDto,
  RegisteredDeviceDto,
  UpdateDeviceDto,
  toCredentialsDto,
  toDeviceDto,
  toRegisteredDeviceDto,
} from './device.dto';
import { DeviceCountDto } from '../fleet/fleet.dto';
import { BatchRegistrationPipe, RawBody } from './batch-registration.pipe';
import { type DeviceRegistration, DeviceService } from './device.service';
import { ReportedFilterQueryInterceptor } from './reported-filter';

@ApiTags('devices')
@ApiBearerAuth()
@Controller('api/v1/devices')
export class DeviceController {
  constructor(private readonly devices: DeviceService) {}

  @Post()
  @ApiOperation({ summary: 'Register a device; the response holds its MQTT password, shown once' })
  @ApiCreatedResponse({ type: RegisteredDeviceDto })
  async register(@CurrentActor() actor: Actor, @Body() body: RegisterDeviceDto): Promise<RegisteredDeviceDto> {
    return toRegisteredDeviceDto(await this.devices.register(actor, body));
  }

  @Post('batch')
  @ApiOperation({ summary: 'Register up to 10,000 devices at once, all or nothing' })
  @ApiBody({ type: BatchRegisterDto })
  @ApiCreatedResponse({ type: BatchRegisteredDto })
  async registerBatch(@CurrentActor() actor: Actor, @RawBody(BatchRegistrationPipe) body: { devices: DeviceRegistration[] }): Promise<BatchRegisteredDto> {
    const devices = await this.devices.registerMany(actor, body.devices);
    return { devices: devices.map(toRegisteredDeviceDto) };
  }

  @Get()
  @Header('Content-Type', 'application/json; charset=utf-8')
  @ApiOkResponse({ type: DevicePageDto })
  @ApiOperation({ summary: 'List devices with filters, ordered by id, cursor-paginated' })
  @UseInterceptors(ReportedFilterQueryInterceptor)
  async list(@Query() query: DeviceListQueryDto): Promise<string> {
    const { limit, cursor, ...filter } = query;
    return this.devices.listJson(filter, limit, cursor);
  }

  @Get('count')
  @ApiOkResponse({ type: DeviceCountDto })
  @ApiOperation({ summary: 'How many devices match the list filters (the same query parameters as the list, without paging)' })
  @UseInterceptors(ReportedFilterQueryInterceptor)
  async count(@Query() query: DeviceCountQueryDto): Promise<DeviceCountDto> {
    return { total: await this.devices.count(query) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read a device' })
  @ApiOkResponse({ type: DeviceDto })
  async get(@Param('id') id: string): Promise<DeviceDto> {
    return toDeviceDto(await this.devices.get(id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change name or tags' })
  @ApiOkResponse({ type: DeviceDto })
  async update(@CurrentActor() actor: Actor, @Param('id') id: string, @Body() body: UpdateDeviceDto): Promise<DeviceDto> {
    return toDeviceDto(await this.devices.update(actor, id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Decommission: the device and its credential are removed and its live session closed' })
  async decommission(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<void> {
    await this.devices.decommission(actor, id);
  }

  @Post(':id/credentials/rotate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Issue a new MQTT password; the old one stops working at once' })
  @ApiOkResponse({ type: CredentialsDto })
  async rotate(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<CredentialsDto> {
    return toCredentialsDto(await this.devices.rotateCredentials(actor, id));
  }

  @Get(':id/auth-methods')
  @ApiOperation({ summary: 'How the device may sign in (password, certificate)' })
  async authMethods(@Param('id') id: string): Promise<AuthMethodsDto> {
    return { methods: await this.devices.authMethods(id) };
  }

  @Put(':id/auth-methods')
  @ApiOperation({ summary: 'Set how the device may sign in, e.g. only by certificate; a live session is closed when a method is taken away' })
  async setAuthMethods(@CurrentActor() actor: Actor, @Param('id') id: string, @Body() body: AuthMethodsDto): Promise<AuthMethodsDto> {
    return { methods: await this.devices.setAuthMethods(actor, id, body.methods) };
  }
}
