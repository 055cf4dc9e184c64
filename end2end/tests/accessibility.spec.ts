import { expect, test } from '@playwright/test';
import { expectAccessible } from './accessible';
import { createUser, gotoHydrated, uniqueEmail } from './helpers';

// Every page, signed in as an admin (who sees them all), with JavaScript on, light and dark.
test('every page passes axe-core in light and dark', async ({ page, request }) => {
  const user = await createUser(request, 'Axe Checked', uniqueEmail('axe'));
  const upload = await request.post('/api/imports', {
    multipart: { file: { name: 'axe.csv', mimeType: 'text/csv', buffer: Buffer.from(`name,email\nAxe Import,${uniqueEmail('axe-import')}\n,broken\n`) }, mode: 'skip' },
    headers: { Accept: 'application/json' },
  });
  expect(upload.status(), await upload.text()).toBe(201);
  const job = (await upload.json()).job.id;
  const pages = [
    '/',
    '/?q=axe',
    '/?q=nobody-matches-this',
    `/?delete=${user.id}`,
    `/users/${user.id}`,
    '/activity',
    '/operators',
    '/tokens',
    '/reconcile',
    '/import',
    `/import/${job}`,
    `/delete-selected?id=${user.id}`,
    '/deleted',
    '/no-such-page',
  ];
  for (const path of pages) {
    await gotoHydrated(page, path);
    await expectAccessible(page, path);
  }
});

test.describe('signed out', () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test('the sign-in page passes axe-core in light and dark', async ({ page }) => {
    await gotoHydrated(page, '/sign-in');
    await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    await expectAccessible(page, '/sign-in');
  });
});
