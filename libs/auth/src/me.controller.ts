import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { Actor } from '@edgefleet/common';
import { API_ROLES, type ApiRole } from '@edgefleet/contracts';
import { CurrentActor } from './auth.decorators';

export class MeDto {
  @ApiProperty({ description: 'Id of the API key the token belongs to' }) id!: string;
  @ApiProperty({ description: 'Its name' }) name!: string;
  @ApiProperty({ description: 'Its role: what this token may do', enum: API_ROLES }) role!: ApiRole;
}

@ApiTags('api-keys')
@ApiBearerAuth()
@Controller('api/v1/me')
export class MeController {
  @Get()
  @ApiOperation({ summary: 'The API key behind this token and its role (how a client learns what it may do)' })
  @ApiOkResponse({ type: MeDto })
  me(@CurrentActor() actor: Actor): MeDto {
    return { id: actor.id!, name: actor.name, role: actor.role as ApiRole };
  }
}
