import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgresError } from '../src/embedded/embedded-postgres-error';
import { assertReachableBy, locatePostgresBinaries, postgresAccount } from '../src/embedded/postgres-binaries';

// Only root runs Postgres as another account; as any other user the check does not apply.
(userInfo().uid === 0 ? describe : describe.skip)('a checkout the postgres account cannot reach (running as root)', () => {
  const privateHome = mkdtempSync(join(tmpdir(), 'edgefleet-private-home-'));
  afterAll(() => rmSync(privateHome, { recursive: true, force: true }));

  it('is named with the fix in one line instead of a spawn EACCES', () => {
    chmodSync(privateHome, 0o700);
    const bin = join(privateHome, 'checkout', 'bin');
    mkdirSync(bin, { recursive: true });
    copyFileSync(locatePostgresBinaries().postgres, join(bin, 'postgres'));
    const dataDir = join(tmpdir(), 'edgefleet-unused-cluster');
    const check = () => assertReachableBy(postgresAccount(), { initdb: join(bin, 'initdb'), postgres: join(bin, 'postgres') }, dataDir);
    expect(check).toThrow(EmbeddedPostgresError);
    expect(check).toThrow(`its programs in ${bin} are not reachable by the 'postgres' OS user`);
    expect(check).toThrow(/run EdgeFleet as a non-root user, or set DATABASE_URL$/);

    chmodSync(privateHome, 0o755);
    expect(check).not.toThrow();
  });
});
