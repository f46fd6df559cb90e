import { Body, Controller, Get, Header, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Actor } from '@edgefleet/common';
import { CurrentActor, MinRole, Public } from '@edgefleet/auth';
import { FleetCa } from '../ca/fleet-ca';
import { TrustedCaService } from '../ca/trusted-ca.service';
import { RegisterCaDto, TrustedCaDto, TrustedCaListDto, toTrustedCaDto } from './trusted-ca.dto';

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
    const given = body.autoRegister;
    const policy = given ? { type: given.type, ...(given.tags ? { tags: given.tags } : {}), ...(given.pending ? { pending: true } : {}) } : null;
    return toTrustedCaDto(await this.cas.register(actor, body.certificate, policy));
  }

  @Get('cas')
  @ApiOperation({ summary: 'The registered CAs and their auto-registration policies' })
  async list(): Promise<TrustedCaListDto> {
    return { items: (await this.cas.list()).map(toTrustedCaDto) };
  }
}
