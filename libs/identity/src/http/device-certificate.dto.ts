import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { type CertificateState, type DeviceCertificate, certificateState } from '../certificates/device-certificate';

export class SignCertificateDto {
  @ApiProperty({ description: 'PEM PKCS#10 certificate signing request; its subject CN must be the device id. The private key never leaves the device.' })
  @IsString()
  @MaxLength(16 * 1024)
  csr!: string;
}

export class IssuedCertificateDto {
  @ApiProperty({ description: 'Serial number, hex (upper case); names the certificate in revocation', example: '5A0F…' }) serial!: string;
  @ApiProperty({ description: 'The signed certificate, PEM, issued by the fleet CA (GET /api/v1/ca)' }) certificate!: string;
  @ApiProperty({ description: 'Start of validity (ISO 8601)' }) notBefore!: string;
  @ApiProperty({ description: 'End of validity (ISO 8601); renew before then' }) notAfter!: string;
}

export class DeviceCertificateDto extends IssuedCertificateDto {
  @ApiProperty({ description: 'SHA-256 of the DER certificate, hex upper case' }) fingerprint!: string;
  @ApiProperty({ description: 'SHA-256 fingerprint of the CA certificate that issued it' }) issuerFingerprint!: string;
  @ApiProperty({ description: 'active; revoked (refused at CONNECT); expired (past notAfter)', enum: ['active', 'revoked', 'expired'] }) state!: CertificateState;
  @ApiPropertyOptional({ description: 'When it was revoked (ISO 8601); null while not revoked', nullable: true, type: String }) revokedAt!: string | null;
  @ApiProperty({ description: 'When the fleet first knew it (ISO 8601)' }) createdAt!: string;
}

export class DeviceCertificateListDto {
  @ApiProperty({ type: [DeviceCertificateDto], description: "The device's certificates, newest first" }) items!: DeviceCertificateDto[];
}

export function toIssuedCertificateDto(certificate: DeviceCertificate): IssuedCertificateDto {
  return {
    serial: certificate.serial,
    certificate: certificate.certificatePem,
    notBefore: certificate.notBefore.toISOString(),
    notAfter: certificate.notAfter.toISOString(),
  };
}

export function toDeviceCertificateDto(certificate: DeviceCertificate): DeviceCertificateDto {
  return {
    ...toIssuedCertificateDto(certificate),
    fingerprint: certificate.fingerprint,
    issuerFingerprint: certificate.issuerFingerprint,
    state: certificateState(certificate),
    revokedAt: certificate.revokedAt?.toISOString() ?? null,
    createdAt: certificate.createdAt.toISOString(),
  };
}
