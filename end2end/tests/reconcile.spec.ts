import { expect, test, type Page } from '@playwright/test';
import { addThroughForm, gotoHydrated, insertElsewhere, searchFor, uniqueEmail } from './helpers';

/** Reloads the reconcile page until its latest run has finished. */
async function waitForFinishedRun(page: Page) {
  await expect(async () => {
    await page.reload();
    await expect(page.getByRole('status').filter({ hasText: 'Finished' })).toBeVisible({ timeout: 500 });
  }).toPass({ timeout: 30_000 });
}

for (const javaScriptEnabled of [true, false]) {
  test.describe(`rows written by other clients (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, () => {
    test.use({ javaScriptEnabled });
    const open = (page: Page, path: string) => (javaScriptEnabled ? gotoHydrated(page, path) : page.goto(path).then(() => {}));

    test('are found by email in any case and block a duplicate', async ({ page }) => {
      const email = uniqueEmail('elsewhere');
      const mixedCase = email.replace(/^./, (c) => c.toUpperCase()).replace('@example.com', '@Example.COM');
      insertElsewhere('Written Elsewhere', mixedCase);

      await open(page, '/');
      await searchFor(page, email.toUpperCase());
      await expect(page.getByRole('row').filter({ hasText: 'Written Elsewhere' })).toHaveCount(1);

      await addThroughForm(page, 'Second Person', email);
      await expect(page.getByText('That email is already in use')).toBeVisible();
    });

    test('an admin reconciles and is shown the emails several rows share', async ({ page }) => {
      const email = uniqueEmail('twin');
      const older = insertElsewhere('Twin Older', email.replace('twin', 'Twin'));
      const newer = insertElsewhere('Twin Newer', email);

      await open(page, '/reconcile');
      await page.getByRole('button', { name: /reconcile/i }).click();
      await waitForFinishedRun(page);

      const shared = page.getByRole('article', { name: email });
      await expect(shared.getByRole('heading', { name: `${email} (2 rows)` })).toBeVisible();
      await expect(shared.getByRole('link', { name: 'Twin Older' })).toHaveAttribute('href', `/users/${older}`);
      await expect(shared.getByRole('link', { name: 'Twin Newer' })).toHaveAttribute('href', `/users/${newer}`);
      await shared.getByRole('link', { name: 'Twin Newer' }).click();
      await expect(page.getByRole('heading', { name: 'Edit Twin Newer' })).toBeVisible();
    });
  });
}

test.describe('as an editor', () => {
  test.use({ storageState: './.auth/editor.json' });

  test('the reconcile page is for admins', async ({ page }) => {
    await gotoHydrated(page, '/reconcile');
    await expect(page.getByText('This page needs the admin role')).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Reconcile' })).toHaveCount(0);
  });
});
