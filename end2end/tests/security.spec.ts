import { expect, test, type Page } from '@playwright/test';
import { createUser, uniqueEmail } from './helpers';

// The pages are served with a Content-Security-Policy that allows only the scripts carrying the
// response's nonce: the islands must still hydrate, and the browser must block nothing.
async function recordViolations(page: Page): Promise<() => Promise<string[]>> {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (event) => {
      seen.push(`${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`);
    });
  });
  return () => page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
}

test('pages hydrate under their Content-Security-Policy and the browser blocks nothing', async ({ page, request }) => {
  const user = await createUser(request, 'Policy Checked', uniqueEmail('csp'));
  const violations = await recordViolations(page);
  for (const path of ['/', '/?q=policy', `/users/${user.id}`, '/import', '/activity']) {
    const response = await page.goto(path);
    const policy = response?.headers()['content-security-policy'] ?? '';
    expect(policy, path).toContain("'nonce-");
    expect(policy, path).not.toContain('unsafe-inline');
    // The WebAssembly marks the body once it has hydrated the islands.
    await expect(page.locator('body[data-hydrated="true"]'), path).toBeAttached();
    expect(await violations(), path).toEqual([]);
  }
});
