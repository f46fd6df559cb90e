import { X509Certificate, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { IDENTITY_OPTIONS, type IdentityOptions } from '../identity-options';
import { type CertificateFacts, factsOf } from '../x509/certificate-facts';
import { ECDSA_P256, x509 } from '../x509/peculiar';
import { type CaMaterial, loadCaMaterial, randomSerial } from './fleet-ca-files';

export interface IssuedCertificate extends CertificateFacts {
  certificatePem: string;
}

/** Clock skew tolerated between the server and a device checking notBefore. */
const BACKDATE_MS = 5 * 60_000;
/** A server certificate made at each start; 397 days is the most TLS clients accept. */
const SERVER_CERTIFICATE_DAYS = 397;
const DAY_MS = 86_400_000;

/**
 * The fleet's certificate authority (CONTRACT §9): the operator's own (FLEET_CA_CERT_FILE and
 * FLEET_CA_KEY_FILE) or one generated at first start and kept, key mode 0600, in
 * `$FLEET_DATA_DIR/keys` like the artifact signing key. It signs device certificates from
 * CSRs and the MQTT TLS listener's certificate.
 */
@Injectable()
export class FleetCa implements OnModuleInit {
  private material?: CaMaterial;
  private caFacts?: CertificateFacts;
  /** The CA as the issuer of what it signs: its subject, and its key identifier (RFC 5280 §4.2.1.1). */
  private issuer?: { name: x509.Name; keyIdentifier: x509.Extension };

  constructor(@Inject(IDENTITY_OPTIONS) private readonly options: IdentityOptions) {}

  async onModuleInit(): Promise<void> {
    this.material = await loadCaMaterial(this.options);
    this.caFacts = factsOf(this.material.certificate);
    const ca = new x509.X509Certificate(this.material.certificate.raw);
    this.issuer = { name: ca.subjectName, keyIdentifier: await x509.AuthorityKeyIdentifierExtension.create(await ca.publicKey.export()) };
  }

  get certificatePem(): string {
    return this.loaded().certificatePem;
  }

  get certificate(): X509Certificate {
    return this.loaded().certificate;
  }

  get fingerprint(): string {
    this.loaded();
    return this.caFacts!.fingerprint;
  }

  /** A TLS client certificate for `commonName` (the device id) over the given public key. */
  async issueDeviceCertificate(commonName: string, publicKey: x509.PublicKey): Promise<IssuedCertificate> {
    const subjectKey = await publicKey.export();
    return this.issue(commonName, subjectKey, this.options.deviceCertificateDays, [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    ]);
  }

  /** A TLS server certificate and its new key for the given host names and addresses. */
  async issueServerCertificate(hosts: string[]): Promise<{ certificatePem: string; keyPem: string }> {
    const keys = await webcrypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify']);
    const names = [...new Set(hosts)].map((host) => (isIP(host) ? { type: 'ip' as const, value: host } : { type: 'dns' as const, value: host }));
    const issued = await this.issue(hosts[0], keys.publicKey, SERVER_CERTIFICATE_DAYS, [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
    ]);
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    return { certificatePem: issued.certificatePem, keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
  }

  private async issue(commonName: string, subjectKey: webcrypto.CryptoKey, days: number, extensions: x509.Extension[]): Promise<IssuedCertificate> {
    const { signingKey } = this.loaded();
    const issuer = this.issuer!;
    const now = Date.now();
    const issued = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: [{ CN: [commonName] }],
      issuer: issuer.name,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(now + days * DAY_MS),
      signingAlgorithm: ECDSA_P256,
      publicKey: subjectKey,
      signingKey,
      extensions: [
        ...extensions,
        issuer.keyIdentifier,
        await x509.SubjectKeyIdentifierExtension.create(subjectKey),
      ],
    });
    const certificatePem = issued.toString('pem') + '\n';
    return { certificatePem, ...factsOf(new X509Certificate(certificatePem)) };
  }

  private loaded(): CaMaterial {
    if (!this.material) throw new Error('the fleet CA is not loaded yet');
    return this.material;
  }
}
