import { hashSecret } from '@edgefleet/common';
import { CredentialCache } from '../src/credential-cache';
import { MetricsRegistry } from '@edgefleet/observability';
import { TestApp } from '../../../test/support/test-app';

/** Issue #15 item 3, behind the CONNECT check: one id the database refuses fails only its own lookup. */
describe('batched credential lookup (real Postgres)', () => {
  let t: TestApp;
  beforeAll(async () => (t = await TestApp.start()));
  afterAll(() => t.stop());

  it('answers every honest id in a batch that also carries ids Postgres refuses, and counts the refused', async () => {
    const logins = await Promise.all(Array.from({ length: 30 }, (_, i) => t.registerDevice(`cred-${i}`)));
    const cache = t.app.get(CredentialCache);
    const answers = await Promise.all([
      ...logins.map((login) => cache.lookup(login.id)),
      cache.lookup('bad\u0000one'),
      cache.lookup('bad\u0000two'),
    ]);
    expect(answers.slice(0, 30).map((answer) => answer?.hash)).toEqual(logins.map((login) => hashSecret(login.password)));
    expect(answers.slice(30)).toEqual([null, null]);
    const metrics = await t.app.get(MetricsRegistry).registry.getSingleMetricAsString('edgefleet_batch_rows_refused_total');
    expect(metrics).toContain('edgefleet_batch_rows_refused_total{batch="credentials"} 2');
  });
});
