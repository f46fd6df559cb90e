import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from '@edgefleet/common';
import { CurrentActor } from '@edgefleet/auth';
import { ProvisioningClaimService } from '../claims/provisioning-claim.service';
import { ClaimListDto, CreateClaimDto, CreatedClaimDto, toClaimDto } from './provisioning-claim.dto';

@ApiTags('certificates')
@ApiBearerAuth()
@Controller('api/v1/claims')
export class ProvisioningClaimController {
  constructor(private readonly claims: ProvisioningClaimService) {}

  @Post()
  @ApiOperation({ summary: 'Make a provisioning claim: a credential a batch of devices uses once each to get their own identity over MQTT' })
  async create(@CurrentActor() actor: Actor, @Body() body: CreateClaimDto): Promise<CreatedClaimDto> {
    const { claim, credentials } = await this.claims.create(actor, { type: body.type, tags: body.tags, maxUses: body.uses, expiresAt: new Date(body.expiresAt) });
    return { ...toClaimDto(claim), credentials };
  }

  @Get()
  @ApiOperation({ summary: 'Claims with their uses left and expiry' })
  async list(): Promise<ClaimListDto> {
    return { items: (await this.claims.list()).map(toClaimDto) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a claim: no more devices may provision with it' })
  async revoke(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<void> {
    await this.claims.revoke(actor, id);
  }
}
