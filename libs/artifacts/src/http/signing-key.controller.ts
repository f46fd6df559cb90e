import { Controller, Get, Header } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ArtifactSigner } from '../signing/artifact-signer';
import { SigningKeyListDto, toSigningKeyDto } from './signing-key.dto';

@ApiTags('artifacts')
@ApiBearerAuth()
@Controller('api/v1')
export class SigningKeyController {
  constructor(private readonly signer: ArtifactSigner) {}

  @Get('signing-key')
  @Header('content-type', 'application/x-pem-file')
  @ApiProduces('application/x-pem-file')
  @ApiOperation({ summary: 'The Ed25519 public key (PEM) new artifact signatures verify against' })
  current(): string {
    return this.signer.current().publicKeyPem;
  }

  @Get('signing-keys')
  @ApiOperation({ summary: 'Every published signing key, including ones rotated out, so older artifacts stay verifiable' })
  async list(): Promise<SigningKeyListDto> {
    const currentId = this.signer.current().id;
    return { items: (await this.signer.published()).map((key) => toSigningKeyDto(key, currentId)) };
  }
}
