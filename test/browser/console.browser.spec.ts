import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { waitFor } from '../support/mqtt-device';
import { axeViolations, launchChromium } from './support/chromium';
import { ADMIN_TOKEN, ConsoleFixture, SHOTS } from './support/console-fixture';

const SEEDED = 120;
const SIMULATED = 8;
const SIM_TYPE = 'simcam';

jest.setTimeout(180_000);

describe('operator console in a real Chromium (real server, embedded Postgres, simulated devices over MQTT)', () => {
  let f: ConsoleFixture;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  const requests: string[] = [];
  let rolloutId: string;

  const api = <T = any>(method: string, path: string, body?: unknown) => f.api.request<T>(method, path, body);
  const open = async (p: Page, path: string) => {
    await p.goto(`${f.url}/console${path}`);
    await p.getByRole('heading', { level: 1 }).first().waitFor();
  };
  const signIn = async (p: Page, token: string) => {
    await p.getByLabel('API token').fill(token);
    await p.getByRole('button', { name: 'Sign in' }).click();
  };
  /** Moves focus with Tab only, as a keyboard user would, until the named button has it. */
  const tabTo = async (p: Page, name: string) => {
    for (let i = 0; i < 80; i++) {
      await p.keyboard.press('Tab');
      if ((await p.evaluate(() => (globalThis as any).document.activeElement?.textContent?.trim())) === name) return;
    }
    throw new Error(`Tab never reached '${name}'`);
  };
  const newContext = async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.on('request', (r) => requests.push(r.url()));
    return context;
  };

  beforeAll(async () => {
    [f, browser] = await Promise.all([ConsoleFixture.start({ seeded: SEEDED, simulated: SIMULATED, simulatedType: SIM_TYPE }), launchChromium()]);
    admin = await newContext();
    page = await admin.newPage();
    await waitFor(() => api<{ total: number }>('GET', `/api/v1/devices/count?type=${SIM_TYPE}&status=online`), (c) => c.total === SIMULATED, 30_000);
  });
  afterAll(async () => {
    await browser?.close();
    await f?.stop();
  });

  it('refuses a wrong token, signs in with a right one (deep link kept), shows the role, keeps the token out of the URL', async () => {
    await page.goto(`${f.url}/console/devices?type=camera`);
    await signIn(page, 'efk_not-a-real-token');
    await page.getByRole('alert').filter({ hasText: 'That token is not valid' }).waitFor();
    await signIn(page, ADMIN_TOKEN);
    await page.getByRole('heading', { name: 'Devices' }).waitFor();
    expect(await page.getByTestId('role').textContent()).toContain('admin');
    expect(page.url()).toBe(`${f.url}/console/devices?type=camera`);
    expect(requests.some((url) => url.includes(ADMIN_TOKEN))).toBe(false);
  });

  it('keeps filters in the URL through reload and back, and its total and pages agree with the API', async () => {
    await open(page, '/devices');
    const all = (await api<{ total: number }>('GET', '/api/v1/devices/count')).total;
    expect(all).toBe(SEEDED + SIMULATED);
    await expectText(page.getByTestId('total'), `${all} devices`);

    await page.keyboard.press('/');
    expect(await page.evaluate(() => (globalThis as any).document.activeElement.name)).toBe('q');
    await page.getByLabel('Type').fill('camera');
    await page.getByLabel('Type').press('Enter');
    await page.waitForURL(/type=camera/);
    const cameras = (await api<{ total: number }>('GET', '/api/v1/devices/count?type=camera')).total;
    expect(cameras).toBe(80);
    await expectText(page.getByTestId('total'), `${cameras} devices match`);
    const first = await api<{ items: { id: string }[]; nextCursor: string }>('GET', '/api/v1/devices?type=camera&limit=50');
    expect(await shownIds(page)).toEqual(first.items.map((d) => d.id));

    await page.getByRole('button', { name: 'Next page →' }).click();
    await expectText(page.getByTestId('page-range'), `51–80 of ${cameras}`);
    const second = await api<{ items: { id: string }[] }>('GET', `/api/v1/devices?type=camera&limit=50&cursor=${first.nextCursor}`);
    expect(await shownIds(page)).toEqual(second.items.map((d) => d.id));

    await page.reload();
    await expectText(page.getByTestId('page-range'), `51–80 of ${cameras}`);
    expect(await page.getByLabel('Type').inputValue()).toBe('camera');
    expect(await shownIds(page)).toEqual(second.items.map((d) => d.id));

    await page.goBack();
    await expectText(page.getByTestId('page-range'), `1–50 of ${cameras}`);
    await page.goBack();
    await expectText(page.getByTestId('total'), `${all} devices`);
  });

  it('sends a desired-state edit to a real device and shows its report without a reload; a stale edit is shown as a conflict', async () => {
    await open(page, '/devices/sim-0');
    await page.getByLabel(/Change desired state/).fill('{"led": "blue"}');
    await page.getByRole('button', { name: 'Save desired state' }).click();
    await expectText(page.getByTestId('reported-led'), '"blue"', 15_000);
    const twin = await api<{ reported: { led?: string }; desiredVersion: number }>('GET', '/api/v1/devices/sim-0/twin');
    expect(twin.reported.led).toBe('blue');

    // Someone else changes desired state while the operator types; the console's edit is based on the old version.
    await page.getByLabel(/Change desired state/).fill('{"led": "red"}');
    await api('PATCH', '/api/v1/devices/sim-0/twin/desired', { led: 'green' });
    await page.getByRole('button', { name: 'Save desired state' }).click();
    await page.getByRole('alert').filter({ hasText: 'Conflict' }).waitFor();
    expect((await api<{ desired: { led: string } }>('GET', '/api/v1/devices/sim-0/twin')).desired.led).toBe('green');
    await expectText(page.getByTestId('reported-led'), '"green"', 15_000);
    // Having seen it, the operator saves again: now on top of the current version.
    await page.getByRole('button', { name: 'Save desired state' }).click();
    await expectText(page.getByTestId('reported-led'), '"red"', 15_000);
  });

  it('creates a rollout from the wizard whose preview equals the API, shows its waves moving, and pauses and resumes by keyboard only', async () => {
    await open(page, '/rollouts/new');
    await page.getByLabel('Name').fill('console sampling');
    await page.getByLabel('Kind').selectOption('config');
    await page.getByLabel('Config (merged into desired state)').fill('{"sampling": {"seconds": 5}}');
    const targets = page.getByRole('group', { name: '2. Which devices' });
    await targets.getByLabel('Type').fill(SIM_TYPE);
    await targets.getByLabel('Type').press('Enter');
    await page.getByLabel('Waves (cumulative %)').fill('25, 100');
    await page.getByLabel('Max in flight').fill('1');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.locator('[data-testid="preview-summary"], [role="alert"]').first().waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);

    const body = {
      name: 'console sampling',
      type: 'config',
      config: { sampling: { seconds: 5 } },
      target: { selector: { type: SIM_TYPE } },
      strategy: { waves: [25, 100], maxInFlight: 1, failureThreshold: { percent: 5, minSamples: 20 }, deviceTimeoutSeconds: 600, retries: 2 },
      schedule: {},
    };
    const preview = await api<{ targetCount: number; waves: { count: number; offline: number }[] }>('POST', '/api/v1/rollouts/preview', body);
    expect(preview.targetCount).toBe(SIMULATED);
    expect(await page.getByTestId('preview-summary').textContent()).toContain(`${preview.targetCount} devices would get this rollout`);
    for (const [i, wave] of preview.waves.entries()) {
      expect(await page.getByTestId(`preview-wave-${i}-count`).textContent()).toBe(String(wave.count));
      expect(await page.getByTestId(`preview-wave-${i}-offline`).textContent()).toBe(String(wave.offline));
    }

    await page.getByRole('button', { name: `Start rollout to ${SIMULATED} devices` }).click();
    await page.waitForURL(/\/console\/rollouts\/[0-9a-f-]{36}$/);
    rolloutId = page.url().split('/').pop()!;
    await expectText(page.getByTestId('live-mark'), 'live');
    const succeeded = async () => Number(/(\d+) succeeded/.exec((await page.getByTestId('wave-0-text').textContent()) ?? '')?.[1] ?? 0);
    await waitFor(succeeded, (n) => n >= 1, 20_000);

    await tabTo(page, 'Pause');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expectText(page.getByTestId('rollout-state'), 'paused', 10_000);
    expect((await api<{ state: string }>('GET', `/api/v1/rollouts/${rolloutId}`)).state).toBe('paused');

    await tabTo(page, 'Resume');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expectText(page.getByTestId('rollout-state'), 'completed', 60_000);
    await expectText(page.getByTestId('wave-1-text'), `${preview.waves[1].count} succeeded`);
    expect((await api<{ state: string }>('GET', `/api/v1/rollouts/${rolloutId}`)).state).toBe('completed');
  });

  it('uploads an artifact, shows its sha256 as the API has it, and deletes it after a confirmation', async () => {
    await open(page, '/artifacts');
    await page.getByLabel('Name').fill('cam firmware');
    await page.getByLabel('Version').fill('9.9.9');
    await page.getByLabel('Device types (comma separated)').fill('camera');
    await page.getByLabel('File').setInputFiles({ name: 'fw.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(256 * 1024, 7) });
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    const remove = page.getByRole('button', { name: 'Delete cam firmware 9.9.9' });
    await remove.waitFor();
    const listed = await api<{ items: { version: string; sha256: string }[] }>('GET', '/api/v1/artifacts');
    const uploaded = listed.items.find((a) => a.version === '9.9.9')!;
    expect(await page.locator(`code[title="${uploaded.sha256}"]`).count()).toBe(1);
    await remove.click();
    await page.getByRole('button', { name: 'Delete the artifact' }).click();
    await waitFor(() => remove.count(), (n) => n === 0);
    expect((await api<{ items: { version: string }[] }>('GET', '/api/v1/artifacts')).items.some((a) => a.version === '9.9.9')).toBe(false);
  });

  it('shows a viewer no destructive action, and says why', async () => {
    const context = await newContext();
    const viewer = await context.newPage();
    await viewer.goto(`${f.url}/console/devices`);
    await signIn(viewer, f.viewerToken);
    await viewer.getByRole('heading', { name: 'Devices' }).waitFor();
    expect(await viewer.getByTestId('role').textContent()).toContain('viewer');
    await viewer.getByText('can only read').first().waitFor();
    for (const name of ['Register device', 'Import…', 'Decommission…', 'Tag…', 'Add to group…']) expect(await viewer.getByRole('button', { name }).count()).toBe(0);
    await open(viewer, `/rollouts/${rolloutId}`);
    for (const name of ['Pause', 'Resume', 'Cancel rollout']) expect(await viewer.getByRole('button', { name }).count()).toBe(0);
    await open(viewer, '/devices/sim-1');
    expect(await viewer.getByRole('button', { name: 'Save desired state' }).count()).toBe(0);
    await viewer.getByText('Editing desired state is disabled').waitFor();
    await open(viewer, '/artifacts');
    await viewer.getByText('Uploading and deleting are hidden').waitFor();
    expect(await viewer.getByRole('button', { name: /^Delete / }).count()).toBe(0);
    await open(viewer, '/rollouts/new');
    await viewer.getByText('Creating rollouts is not available').waitFor();
    expect(await viewer.getByRole('link', { name: 'API keys' }).count()).toBe(0);
    await context.close();
  });

  it('passes an axe check with no serious violation on every page, light and dark, at 1280 and 390 px (screenshots kept)', async () => {
    const pages = ['/', '/devices', '/devices/sim-0', '/rollouts', '/rollouts/new', `/rollouts/${rolloutId}`, '/groups', '/artifacts', '/audit', '/api-keys'];
    const serious: string[] = [];
    for (const path of pages) {
      await open(page, path);
      await page.waitForLoadState('networkidle').catch(() => undefined);
      const name = path === '/' ? 'overview' : path.slice(1).replace(/\//g, '_').replace(/[0-9a-f-]{36}/, 'id');
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        for (const v of await axeViolations(page)) {
          if (v.impact === 'serious' || v.impact === 'critical') serious.push(`${path} (${scheme}): ${v.id} ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
        }
        await page.screenshot({ path: join(SHOTS, `${name}-${scheme}.png`), fullPage: true });
      }
      await page.setViewportSize({ width: 390, height: 844 });
      await page.screenshot({ path: join(SHOTS, `${name}-390px.png`), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.emulateMedia({ colorScheme: 'light' });
    }
    expect(serious).toEqual([]);
  });

  it('made no request to any host but the server on 127.0.0.1', () => {
    const origin = new URL(f.url).origin;
    expect(requests.length).toBeGreaterThan(20);
    expect(requests.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('blob:') && !url.startsWith('data:'))).toEqual([]);
  });
});

async function expectText(locator: ReturnType<Page['getByTestId']>, text: string, timeoutMs = 10_000): Promise<void> {
  await waitFor(async () => (await locator.textContent().catch(() => null)) ?? '', (t) => t.includes(text), timeoutMs).catch(async () => {
    throw new Error(`expected text '${text}', saw '${await locator.textContent().catch(() => '(none)')}'`);
  });
}

async function shownIds(page: Page): Promise<string[]> {
  return page.locator('tbody tr td:first-child a').allTextContents();
}
