import { Body, Controller, Delete, Get, Header, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Actor } from '@edgefleet/common';
import { CurrentActor, MinRole, Public } from '@edgefleet/auth';
import { FleetCa } from '../ca/fleet-ca';
import { TrustedCaService } from '../ca/trusted-ca.service';
import { ChangeCaPolicyDto, RegisterCaDto, TrustedCaDto, TrustedCaListDto, toAutoRegisterPolicy, toTrustedCaDto } from './trusted-ca.dto';

@ApiTags('certificates')
@ApiBearerAuth()
@Controller('api/v1')
export class TrustedCaController {
  constructor(
    private readonly fleetCa: FleetCa,
    private readonly cas: TrustedCaService,
  ) {}

  @Get('ca')
  @Public()
  @Header('content-type', 'application/x-pem-file')
  @ApiProduces('application/x-pem-file')
  @ApiOperation({ summary: 'The fleet CA certificate (PEM): devices verify the MQTTS server with it, and it signs device certificates' })
  fleetCaCertificate(): string {
    return this.fleetCa.certificatePem;
  }

  @Post('cas')
  @MinRole('admin')
  @ApiOperation({ summary: "Trust another CA (e.g. a manufacturer's) to sign devices in; with autoRegister, unknown devices it certified are registered on first CONNECT" })
  async register(@CurrentActor() actor: Actor, @Body() body: RegisterCaDto): Promise<TrustedCaDto> {
    return toTrustedCaDto(await this.cas.register(actor, body.certificate, toAutoRegisterPolicy(body.autoRegister)));
  }

  @Patch('cas/:id')
  @MinRole('admin')
  @ApiOperation({ summary: "Change a registered CA's auto-registration policy (null: none); applies to devices not registered yet" })
  async changePolicy(@CurrentActor() actor: Actor, @Param('id') id: string, @Body() body: ChangeCaPolicyDto): Promise<TrustedCaDto> {
    return toTrustedCaDto(await this.cas.changePolicy(actor, id, toAutoRegisterPolicy(body.autoRegister)));
  }

  @Delete('cas/:id')
  @MinRole('admin')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Stop trusting a registered CA: certificates chained only to it are refused at CONNECT (0x05) and live sessions signed in with one are closed. The fleet CA cannot be removed',
  })
  async remove(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<void> {
    await this.cas.remove(actor, id);
  }

  @Get('cas')
  @ApiOperation({ summary: 'The registered CAs and their auto-registration policies' })
  async list(): Promise<TrustedCaListDto> {
    return { items: (await this.cas.list()).map(toTrustedCaDto) };
  }
}
