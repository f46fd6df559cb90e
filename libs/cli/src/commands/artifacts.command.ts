import { readFileSync } from 'node:fs';
import type { CliCommand } from '../cli-command';
import { ok, okJson } from '../api-result';
import type { Cli } from '../cli-context';
import { CliError } from '../cli-error';
import { EXIT } from '../exit-codes';
import { examples } from '../help-text';
import { type Row, fieldColumns } from '../output/output';
import { addListCommand } from './list-command';
import { ProgressBar, formatBytes } from '../output/progress-bar';
import { type ArtifactMetadata, VerificationCache, verifyArtifactFile } from './artifact-verifier';
import { multipartBody } from './multipart-upload';

const ARTIFACT_COLUMNS = fieldColumns(['ID', 'id'], ['NAME', 'name'], ['VERSION', 'version'], ['DEVICE TYPES', 'deviceTypes'], ['SIZE', 'size'], ['SHA256', 'sha256', true], ['KEY', 'signingKeyId', true], ['CREATED', 'createdAt']);

export function registerArtifactCommands(program: CliCommand, cli: Cli): void {
  const artifacts = program.command('artifacts').alias('artifact').description('signed firmware artifacts');

  artifacts
    .command('upload <file>')
    .description('upload firmware (progress on stderr); the server hashes and signs it')
    .requiredOption('--name <name>', 'artifact name; (name, version) is unique')
    .requiredOption('--version <version>', 'semantic version, e.g. 2.1.0')
    .requiredOption('--device-types <types>', 'device types it is for, comma-separated')
    .addHelpText('after', examples('edgefleet artifacts upload build/cam-2.1.0.bin --name cam-firmware --version 2.1.0 --device-types cam'))
    .action(async (file: string, options: { name: string; version: string; deviceTypes: string }) => {
      const progress = new ProgressBar(cli.io.stderr);
      const draw = (sent: number, total: number, final = false) => progress.update('upload', sent, total, `${formatBytes(sent)}/${formatBytes(total)}`, final);
      const { body, headers, size } = multipartBody({ name: options.name, version: options.version, deviceTypes: options.deviceTypes }, file, draw);
      const response = await cli.connection().fetch('/api/v1/artifacts', { method: 'POST', body, headers, duplex: 'half' } as RequestInit);
      draw(size, size, true);
      cli.output().item(await okJson<Row>(response, `upload ${file}`), ARTIFACT_COLUMNS);
    });

  addListCommand(artifacts, cli, { what: 'artifacts', fetch: (api, query) => api.GET('/api/v1/artifacts', { params: { query } }), columns: ARTIFACT_COLUMNS });

  artifacts
    .command('get <id>')
    .description('one artifact: size, sha256, signature')
    .addHelpText('after', examples('edgefleet artifacts get 6f1c…', 'edgefleet artifacts get 6f1c… -o json > fw.json'))
    .action(async (id: string) => {
      const artifact = await ok(cli.connection().api.GET('/api/v1/artifacts/{id}', { params: { path: { id } } }), `artifact ${id}`);
      cli.output().item(artifact, [...ARTIFACT_COLUMNS, ...fieldColumns(['SIGNATURE', 'signature'])]);
    });

  artifacts
    .command('verify <file>')
    .description("check a file's sha256 and Ed25519 signature against an artifact and the server's published key")
    .option('--artifact <id>', 'the artifact the file should be (its metadata is fetched once, then kept)')
    .option('--metadata <file>', 'the artifact as JSON (from: artifacts get ID -o json) instead of --artifact')
    .option('--key <file>', 'the public key (PEM) instead of the server\'s published one')
    .option('--offline', 'use only what is kept from an earlier fetch (or --metadata and --key); no request at all')
    .addHelpText(
      'after',
      `
The first check of an artifact fetches its metadata and the server's signing keys and keeps them
under the config dir; later checks of it need no network.
Exit code ${EXIT.verifyFailed} when the hash, the size or the signature does not match.
${examples('edgefleet artifacts verify cam-2.1.0.bin --artifact 6f1c…', 'edgefleet artifacts verify cam-2.1.0.bin --artifact 6f1c… --offline', 'edgefleet artifacts verify fw.bin --metadata fw.json --key signing-key.pem')}`,
    )
    .action(async (file: string, options: { artifact?: string; metadata?: string; key?: string; offline?: boolean }) => {
      if (!options.artifact === !options.metadata) throw CliError.usage('artifacts verify: give --artifact ID or --metadata FILE');
      const online = options.offline ? undefined : () => cli.connection();
      const cache = () => new VerificationCache(cli.io.env, cli.connectionWithoutToken().server);
      const artifact = options.metadata ? readMetadata(options.metadata) : await cache().artifact(online, options.artifact!);
      const key = options.key ? { id: null, publicKeyPem: readText(options.key) } : await cache().key(online, artifact.signingKeyId);
      const verdict = await verifyArtifactFile(file, artifact, key.publicKeyPem, key.id);
      const output = cli.output();
      if (output.machine) output.data(verdict);
      else
        output.item(verdict, [
          { header: 'file', value: (v) => v.file },
          { header: 'artifact', value: (v) => `${v.artifactId} (${v.version})` },
          { header: 'sha256', value: (v) => (v.sha256.ok ? `ok ${v.sha256.actual}` : `MISMATCH ${v.sha256.actual}, expected ${v.sha256.expected}`) },
          { header: 'size', value: (v) => (v.size.ok ? `ok ${v.size.actual}` : `MISMATCH ${v.size.actual}, expected ${v.size.expected}`) },
          { header: 'signature', value: (v) => `${v.signature.ok ? 'ok' : 'INVALID'}${v.signature.keyId ? ` (key ${v.signature.keyId})` : ''}` },
        ]);
      if (!verdict.ok) throw new CliError(`${file} is not artifact ${artifact.id} (${artifact.version}) as signed`, EXIT.verifyFailed);
    });
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw CliError.usage(`cannot read ${file}: ${(error as Error).message}`);
  }
}

function readMetadata(file: string): ArtifactMetadata {
  try {
    const value = JSON.parse(readText(file)) as ArtifactMetadata;
    if (typeof value.id !== 'string' || typeof value.signature !== 'string') throw new Error('no id or signature field');
    return value;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw CliError.usage(`${file}: not artifact metadata: ${(error as Error).message}`);
  }
}
