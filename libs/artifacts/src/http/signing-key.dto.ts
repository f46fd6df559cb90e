import { ApiProperty } from '@nestjs/swagger';
import type { SigningKey } from '../signing/signing-key';

export class SigningKeyDto {
  @ApiProperty({ description: 'Key id: the first 16 hex digits of the SHA-256 of its SPKI DER encoding' }) id!: string;
  @ApiProperty({ description: 'Ed25519 public key, SPKI PEM' }) publicKeyPem!: string;
  @ApiProperty({ description: 'true for the key new artifacts are signed with' }) current!: boolean;
  @ApiProperty({ description: 'When the server first signed with it' }) createdAt!: string;
}

export class SigningKeyListDto {
  @ApiProperty({ type: [SigningKeyDto], description: 'Every key that has signed artifacts, newest first' }) items!: SigningKeyDto[];
}

export function toSigningKeyDto(key: SigningKey, currentId: string): SigningKeyDto {
  return { id: key.id, publicKeyPem: key.publicKeyPem, current: key.id === currentId, createdAt: key.createdAt.toISOString() };
}
