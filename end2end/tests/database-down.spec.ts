import { expect, test } from '@playwright/test';
import { type ChildProcess } from 'node:child_process';
import { startServer } from './helpers';

// A second server whose Cassandra never answers (nothing listens on port 1): the pages must
// still render, say what is wrong, and keep what the person typed.
const address = '127.0.0.1:3013';
let server: ChildProcess;

test.use({ storageState: { cookies: [], origins: [] } });

test.beforeAll(async () => {
  server = await startServer(address, { CASSANDRA_CONTACT_POINTS: '127.0.0.1:1' }, 503);
});

test.afterAll(() => {
  server?.kill();
});

test('without the database, signing in says so and keeps what was typed', async ({ page }) => {
  await page.goto(`http://${address}/`);
  await expect(page).toHaveURL(/\/sign-in\?next=%2F$/);
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();

  await page.getByLabel('Username').fill('patient-person');
  await page.getByLabel('Password').fill('a password that is long');
  await page.getByRole('button', { name: 'Sign in' }).click();

  // The message quotes the request, for the person to tell whoever reads the server's log.
  await expect(page.getByRole('alert')).toHaveText(
    /The database is unavailable — nothing was saved\. Try again in a moment\. \(reference: [0-9a-f]{32}\)/,
  );
  await expect(page.getByLabel('Username')).toHaveValue('patient-person');
});
