import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

/** The page as it is now passes axe-core's checks (WCAG 2.1 A and AA), in light and in dark. */
export async function expectAccessible(page: Page, what: string) {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const violations = results.violations.map((v) => ({
      rule: v.id,
      impact: v.impact,
      where: v.nodes.map((node) => node.target.join(' ')).slice(0, 5),
      why: v.nodes[0]?.failureSummary,
    }));
    expect(violations, `${what} in ${colorScheme}`).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: null });
}
