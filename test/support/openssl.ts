import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Files made by the `openssl` command line (Debian's OpenSSL 3): keys, CSRs, CAs and certificates nobody here encoded. */
export interface KeyAndCertificate {
  key: string;
  cert: string;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** An EC P-256 key and a CSR with subject CN=`commonName`; returns the key and CSR paths. */
export function keyAndCsr(dir: string, name: string, commonName: string): { key: string; csr: string } {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${commonName}`]);
  return { key, csr };
}

/** A self-signed CA certificate (basicConstraints CA:TRUE), e.g. a device manufacturer's. */
export function newCa(dir: string, name: string, subject = `/O=${name}/CN=${name} device CA`, options: { pathLength?: number } = {}): KeyAndCertificate {
  const key = join(dir, `${name}-ca.key`);
  const cert = join(dir, `${name}-ca.pem`);
  openssl([
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', subject,
    '-addext', `basicConstraints=critical,CA:TRUE${pathLen(options.pathLength)}`, '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { key, cert };
}

/** A self-signed leaf certificate for CN=`commonName` (what a device without a CA would make). */
export function selfSigned(dir: string, name: string, commonName: string): KeyAndCertificate {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${commonName}`]);
  return { key, cert };
}

/** A self-signed server certificate for 127.0.0.1 (CN and IP subject alternative name), for an operator-supplied TLS listener. */
export function loopbackServerCertificate(dir: string, name = 'server'): KeyAndCertificate {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  openssl([
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
  ]);
  return { key, cert };
}

/**
 * A device certificate for CN=`commonName` signed by `ca` with `openssl ca`, valid from
 * `start` to `end` (UTC), so a test can make one that has already expired.
 */
export function signedByCa(dir: string, ca: KeyAndCertificate, name: string, commonName: string, validity: { start: Date; end: Date } = inDays(30)): KeyAndCertificate {
  return signWithCa(dir, ca, name, commonName, validity, ['basicConstraints = critical,CA:FALSE', 'keyUsage = critical,digitalSignature', 'extendedKeyUsage = clientAuth']);
}

/**
 * An intermediate CA certificate signed by `parent` (a manufacturer's factory CA under its root);
 * `ca: false` makes one marked CA:FALSE that still has the key usage to sign certificates.
 */
export function intermediateCa(dir: string, parent: KeyAndCertificate, name: string, options: { ca?: boolean; pathLength?: number } = {}): KeyAndCertificate {
  const basic = options.ca === false ? 'basicConstraints = critical,CA:FALSE' : `basicConstraints = critical,CA:TRUE${pathLen(options.pathLength)}`;
  return signWithCa(dir, parent, `${name}-ca`, `${name} intermediate CA`, inDays(30), [basic, 'keyUsage = critical,keyCertSign,cRLSign']);
}

function signWithCa(dir: string, ca: KeyAndCertificate, name: string, commonName: string, validity: { start: Date; end: Date }, extensions: string[]): KeyAndCertificate {
  const { key, csr } = keyAndCsr(dir, name, commonName);
  const cert = join(dir, `${name}.pem`);
  const db = join(dir, `${name}.index`);
  writeFileSync(db, '');
  writeFileSync(join(dir, `${name}.serial`), `${Date.now().toString(16).padStart(16, '0')}\n`);
  const config = join(dir, `${name}.cnf`);
  writeFileSync(
    config,
    [
      '[ca]', 'default_ca = device_ca', '[device_ca]', `database = ${db}`, `new_certs_dir = ${dir}`, `serial = ${join(dir, `${name}.serial`)}`,
      'default_md = sha256', 'policy = any', 'unique_subject = no', 'x509_extensions = leaf', '[any]', 'commonName = supplied',
      '[leaf]', ...extensions, '',
    ].join('\n'),
  );
  openssl([
    'ca', '-batch', '-notext', '-config', config, '-cert', ca.cert, '-keyfile', ca.key, '-in', csr, '-out', cert,
    '-startdate', asn1Time(validity.start), '-enddate', asn1Time(validity.end),
  ]);
  return { key, cert };
}

/** One PEM file holding the certificates in this order (a device's certificate, then the intermediates up its chain). */
export function chainFile(dir: string, name: string, certificates: string[]): string {
  const file = join(dir, `${name}-chain.pem`);
  writeFileSync(file, certificates.map((certificate) => readFileSync(certificate, 'utf8')).join(''));
  return file;
}

function inDays(days: number): { start: Date; end: Date } {
  return { start: new Date(Date.now() - 60_000), end: new Date(Date.now() + days * 86_400_000) };
}

/** YYYYMMDDHHMMSSZ, the GeneralizedTime form `openssl ca` accepts. */
function asn1Time(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** The `,pathlen:N` of a basicConstraints line, or nothing. */
function pathLen(pathLength: number | undefined): string {
  return pathLength === undefined ? '' : `,pathlen:${pathLength}`;
}
