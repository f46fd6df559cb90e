import { Body, Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from '@edgefleet/common';
import { CurrentActor } from '@edgefleet/auth';
import { DeviceCertificateService } from '../certificates/device-certificate.service';
import {
  DeviceCertificateDto,
  DeviceCertificateListDto,
  IssuedCertificateDto,
  SignCertificateDto,
  toDeviceCertificateDto,
  toIssuedCertificateDto,
} from './device-certificate.dto';

@ApiTags('certificates')
@ApiBearerAuth()
@Controller('api/v1/devices/:id/certificates')
export class DeviceCertificateController {
  constructor(private readonly certificates: DeviceCertificateService) {}

  @Post()
  @ApiOperation({ summary: 'Sign a CSR whose subject CN is the device id with the fleet CA; the device then signs in over MQTTS by certificate' })
  async sign(@CurrentActor() actor: Actor, @Param('id') id: string, @Body() body: SignCertificateDto): Promise<IssuedCertificateDto> {
    return toIssuedCertificateDto(await this.certificates.sign(actor, id, body.csr));
  }

  @Get()
  @ApiOperation({ summary: "The device's certificates and their state" })
  async list(@Param('id') id: string): Promise<DeviceCertificateListDto> {
    return { items: (await this.certificates.list(id)).map(toDeviceCertificateDto) };
  }

  @Delete(':serial')
  @ApiOperation({ summary: 'Revoke: refused at CONNECT from now on; a live session signed in with it is closed within a second' })
  async revoke(@CurrentActor() actor: Actor, @Param('id') id: string, @Param('serial') serial: string): Promise<DeviceCertificateDto> {
    return toDeviceCertificateDto(await this.certificates.revoke(actor, id, serial));
  }
}
