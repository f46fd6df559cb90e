import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';

export { launchChromium } from '../../../bench/support/chromium';

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe-core in the page. Evaluated through the DevTools protocol: an injected <script>
 * would be refused by the console's CSP, which is the point of the CSP.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  return page.evaluate(async (source) => {
    const scope = globalThis as any;
    if (!scope.axe) (0, eval)(source);
    const result: { violations: any[] } = await scope.axe.run(scope.document, { resultTypes: ['violations'] });
    return result.violations.map((v): AxeViolation => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n: { target: string[] }) => ({ target: n.target })) }));
  }, AXE_SOURCE);
}
