import { type JobSnapshot, applyReport, retryDelayMs } from '../src/job-transitions';

const inFlight = (status: JobSnapshot['status'], extra: Partial<JobSnapshot> = {}): JobSnapshot => ({ status, attempts: 1, deviceSucceeded: false, ...extra });
const confirmed = { versionConfirmed: true, retryAllowed: false };
const unconfirmed = { versionConfirmed: false, retryAllowed: false };

describe('device job state machine', () => {
  it('moves forward through the contract states, skipping allowed', () => {
    expect(applyReport(inFlight('notified'), { status: 'accepted' }, confirmed)).toMatchObject({ kind: 'update', status: 'accepted' });
    expect(applyReport(inFlight('accepted'), { status: 'installing', progress: 40 }, confirmed)).toMatchObject({ kind: 'update', status: 'installing', progress: 40 });
    expect(applyReport(inFlight('notified'), { status: 'succeeded' }, confirmed)).toMatchObject({ kind: 'update', status: 'succeeded' });
  });

  it('ignores duplicates and reports that arrive out of order', () => {
    expect(applyReport(inFlight('installing'), { status: 'installing' }, confirmed)).toMatchObject({ kind: 'ignore' });
    expect(applyReport(inFlight('installing'), { status: 'downloading' }, confirmed)).toMatchObject({ kind: 'ignore' });
    expect(applyReport(inFlight('succeeded'), { status: 'installing' }, confirmed)).toMatchObject({ kind: 'ignore' });
    expect(applyReport(inFlight('succeeded'), { status: 'failed' }, confirmed)).toMatchObject({ kind: 'ignore' });
  });

  it('keeps progress of the same state as an update', () => {
    expect(applyReport(inFlight('downloading'), { status: 'downloading', progress: 80 }, confirmed)).toMatchObject({ kind: 'update', status: 'downloading', progress: 80 });
  });

  it('takes a success reported after a cancel from a device that was sent the job: the device is the truth', () => {
    expect(applyReport(inFlight('cancelled'), { status: 'succeeded' }, confirmed)).toMatchObject({ kind: 'update', status: 'succeeded', deviceSucceeded: true });
    expect(applyReport(inFlight('cancelled'), { status: 'succeeded' }, unconfirmed)).toMatchObject({ kind: 'update', status: 'cancelled', deviceSucceeded: true });
    expect(applyReport(inFlight('cancelled', { deviceSucceeded: true }), { status: 'succeeded' }, unconfirmed)).toMatchObject({ kind: 'ignore' });
    expect(applyReport(inFlight('cancelled'), { status: 'installing' }, confirmed)).toMatchObject({ kind: 'ignore' });
    expect(applyReport(inFlight('cancelled', { attempts: 0 }), { status: 'succeeded' }, confirmed)).toMatchObject({ kind: 'ignore' });
    expect(applyReport(inFlight('failed'), { status: 'succeeded' }, confirmed)).toMatchObject({ kind: 'ignore' });
  });

  it('refuses reports for a job never sent to the device', () => {
    expect(applyReport({ status: 'queued', attempts: 0, deviceSucceeded: false }, { status: 'accepted' }, confirmed)).toMatchObject({ kind: 'refuse' });
    expect(applyReport({ status: 'pending_offline', attempts: 0, deviceSucceeded: false }, { status: 'succeeded' }, confirmed)).toMatchObject({ kind: 'refuse' });
  });

  it('holds a firmware success until the reported version matches', () => {
    const held = applyReport(inFlight('installing'), { status: 'succeeded' }, unconfirmed);
    expect(held).toMatchObject({ kind: 'update', status: 'rebooting', deviceSucceeded: true });
    expect(applyReport(inFlight('rebooting', { deviceSucceeded: true }), { status: 'installing' }, unconfirmed)).toMatchObject({ kind: 'ignore' });
    expect(applyReport(inFlight('rebooting', { deviceSucceeded: true }), { status: 'succeeded' }, confirmed)).toMatchObject({ kind: 'update', status: 'succeeded' });
  });

  it('retries a failure while retries remain, then fails for good; rejection is final at once', () => {
    expect(applyReport(inFlight('installing'), { status: 'failed', reason: 'flash error' }, { versionConfirmed: true, retryAllowed: true })).toMatchObject({
      kind: 'update',
      status: 'queued',
      retry: true,
      lastError: 'flash error',
    });
    expect(applyReport(inFlight('installing'), { status: 'failed' }, confirmed)).toMatchObject({ kind: 'update', status: 'failed', lastError: 'device reported failure' });
    expect(applyReport(inFlight('notified'), { status: 'rejected', reason: 'low battery' }, { versionConfirmed: true, retryAllowed: true })).toMatchObject({
      kind: 'update',
      status: 'rejected',
      retry: false,
    });
  });

  it('ignores late progress and failures of an earlier attempt while a retry waits', () => {
    const waiting = { status: 'queued' as const, attempts: 1, deviceSucceeded: false };
    expect(applyReport(waiting, { status: 'installing' }, confirmed)).toMatchObject({ kind: 'ignore' });
    expect(applyReport(waiting, { status: 'failed' }, confirmed)).toMatchObject({ kind: 'ignore' });
    expect(applyReport(waiting, { status: 'succeeded' }, confirmed)).toMatchObject({ kind: 'update', status: 'succeeded' });
  });

  it('backs off exponentially up to a cap', () => {
    expect([1, 2, 3, 4, 10].map((n) => retryDelayMs(n, 1000, 5000))).toEqual([1000, 2000, 4000, 5000, 5000]);
  });
});
