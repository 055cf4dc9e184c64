import { expect, test } from '@playwright/test';
import { type ChildProcess } from 'node:child_process';
import { startServer } from './helpers';

// Servers of their own over keyspaces with no operator yet: the first visit has to lead to
// creating the first administrator. Both listen on loopback and so do we: no setup code needed.
const servers: ChildProcess[] = [];
const keyspace = (suffix: string) => `${process.env.CASSANDRA_KEYSPACE ?? 'e2e'}_${suffix}`;

test.use({ storageState: { cookies: [], origins: [] } });

test.afterAll(() => {
  for (const server of servers) server.kill();
});

test('the first visit leads to creating the first administrator', async ({ page, browser }) => {
  const address = '127.0.0.1:3014';
  servers.push(await startServer(address, { CASSANDRA_KEYSPACE: keyspace('setup') }, 200));
  await page.goto(`http://${address}/`);
  await expect(page).toHaveURL(`http://${address}/setup`);
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  await expect(page.getByRole('heading', { name: 'Create the first administrator' })).toBeVisible();

  await page.getByLabel('Username').fill('first-admin');
  await page.getByLabel('Password', { exact: true }).fill('too short');
  await page.getByLabel('Confirm password').fill('too short');
  await page.getByRole('button', { name: 'Create administrator' }).click();
  await expect(page.getByText('The password is 9 characters long; it needs at least 12')).toBeVisible();

  await page.getByLabel('Password', { exact: true }).fill('a good long password');
  await page.getByLabel('Confirm password').fill('a good long passwore');
  await page.getByRole('button', { name: 'Create administrator' }).click();
  await expect(page.getByText('The two passwords are not the same.')).toBeVisible();

  await page.getByLabel('Confirm password').fill('a good long password');
  await page.getByRole('button', { name: 'Create administrator' }).click();
  await expect(page).toHaveURL(`http://${address}/`);
  await expect(page.getByText('Signed in as')).toContainText('first-admin (admin)');

  const other = await (await browser.newContext({ storageState: { cookies: [], origins: [] } })).newPage();
  await other.goto(`http://${address}/setup`);
  await expect(other).toHaveURL(`http://${address}/sign-in`);
  await other.context().close();
});

test.describe('with JavaScript disabled', () => {
  test.use({ javaScriptEnabled: false });

  test('the first administrator can be created', async ({ page }) => {
    const address = '127.0.0.1:3015';
    servers.push(await startServer(address, { CASSANDRA_KEYSPACE: keyspace('setup_nojs') }, 200));
    await page.goto(`http://${address}/users/1`);
    await expect(page).toHaveURL(`http://${address}/setup`);
    await page.getByLabel('Username').fill('nojs-admin');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByLabel('Confirm password').fill('short');
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await expect(page.getByText('it needs at least 12')).toBeVisible();
    await expect(page.getByLabel('Username')).toHaveValue('nojs-admin');

    await page.getByLabel('Password', { exact: true }).fill('a good long password');
    await page.getByLabel('Confirm password').fill('a good long password');
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await expect(page).toHaveURL(`http://${address}/`);
    await expect(page.getByText('Signed in as')).toContainText('nojs-admin (admin)');
  });
});
