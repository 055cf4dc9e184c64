import { expect, test } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

// A second server whose Cassandra never answers (nothing listens on port 1): the pages must
// still render, say what is wrong, and keep what the person typed.
const root = path.resolve(__dirname, '../..');
const address = '127.0.0.1:3013';
let server: ChildProcess;

test.beforeAll(async () => {
  server = spawn(path.join(root, 'target/debug/cassandra-users'), [], {
    cwd: root,
    env: {
      ...process.env,
      CASSANDRA_CONTACT_POINTS: '127.0.0.1:1',
      LEPTOS_SITE_ADDR: address,
      LEPTOS_SITE_ROOT: 'target/site',
      RUST_LOG: 'error',
    },
    stdio: 'ignore',
  });
  let health: Response | undefined;
  for (let attempt = 0; attempt < 100 && !health; attempt++) {
    health = await fetch(`http://${address}/healthz`).catch(async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      return undefined;
    });
  }
  expect(health?.status, 'the second server answers, unhealthy').toBe(503);
});

test.afterAll(() => {
  server?.kill();
});

test('without the database the page says so and keeps what was typed', async ({ page }) => {
  await page.goto(`http://${address}/`);
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  await expect(page.getByRole('alert').filter({ hasText: 'The database is unavailable' })).toBeVisible();
  await expect(page.getByText('Cassandra is not reachable right now')).toBeVisible();

  await page.getByLabel('Name').fill('Patient Person');
  await page.getByLabel('Email', { exact: true }).fill('patient@example.com');
  await page.getByRole('button', { name: 'Add user' }).click();

  const form = page.getByRole('region', { name: 'Add a user' });
  await expect(form.getByRole('alert')).toHaveText(/The database is unavailable — nothing was saved/);
  await expect(page.getByLabel('Name')).toHaveValue('Patient Person');
  await expect(page.getByLabel('Email', { exact: true })).toHaveValue('patient@example.com');
});
