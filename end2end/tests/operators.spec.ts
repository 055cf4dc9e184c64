import { expect, test, type Browser } from '@playwright/test';
import { authFile, createUser, gotoHydrated, PASSWORD, rowWith, signInThroughForm, uniqueEmail } from './helpers';

const signedOut = { cookies: [], origins: [] };

/** A fresh browser context with nobody signed in. */
async function freshPage(browser: Browser) {
  const context = await browser.newContext({ storageState: signedOut });
  return context.newPage();
}

test.describe('signed out', () => {
  test.use({ storageState: signedOut });

  test('a page leads to sign-in, and back to where the person was going', async ({ page }) => {
    await page.goto('/activity');
    await expect(page).toHaveURL(/\/sign-in\?next=%2Factivity$/);
    await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
    await signInThroughForm(page, 'e2e-viewer', PASSWORD);
    await expect(page).toHaveURL(/\/activity$/);
    await expect(page.getByRole('heading', { name: 'Activity', level: 1 })).toBeVisible();
    await expect(page.getByText('Signed in as')).toContainText('e2e-viewer (viewer)');
  });

  test('a wrong password is refused with a message, keeping the username', async ({ page }) => {
    await gotoHydrated(page, '/sign-in');
    await signInThroughForm(page, 'e2e-viewer', 'not the right password');
    await expect(page.getByRole('alert')).toHaveText('Wrong username or password.');
    await expect(page.getByLabel('Username')).toHaveValue('e2e-viewer');
  });

  test.describe('with JavaScript disabled', () => {
    test.use({ javaScriptEnabled: false });

    test('sign in, see who is signed in, sign out', async ({ page }) => {
      await page.goto('/');
      await expect(page).toHaveURL(/\/sign-in/);
      await signInThroughForm(page, 'e2e-editor', PASSWORD);
      await expect(page.getByRole('heading', { name: 'Users', level: 1 })).toBeVisible();
      await expect(page.getByText('Signed in as')).toContainText('e2e-editor (editor)');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await expect(page).toHaveURL(/\/sign-in$/);
      await page.goto('/');
      await expect(page).toHaveURL(/\/sign-in\?next=/);
    });

    test('a wrong password is explained', async ({ page }) => {
      await page.goto('/sign-in');
      await signInThroughForm(page, 'e2e-editor', 'not the right password');
      await expect(page.getByRole('alert')).toHaveText('Wrong username or password.');
      await expect(page.getByLabel('Username')).toHaveValue('e2e-editor');
    });
  });
});

test.describe('as a viewer', () => {
  test.use({ storageState: authFile('viewer') });

  test('users and their history are shown, with no way to change them', async ({ page, playwright, baseURL }) => {
    const admin = await playwright.request.newContext({ baseURL, storageState: authFile('admin') });
    const email = uniqueEmail('viewed');
    const user = await createUser(admin, 'Viewed Person', email);
    await gotoHydrated(page, `/?q=${encodeURIComponent(email)}`);
    await expect(rowWith(page, email)).toContainText('Viewed Person');
    await expect(rowWith(page, email).getByRole('checkbox')).toHaveCount(0);
    await expect(page.getByRole('link', { name: 'Add a user' })).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Delete' })).toHaveCount(0);
    await expect(page.getByRole('link', { name: 'Edit' })).toHaveCount(0);
    await expect(page.getByRole('link', { name: 'Operators' })).toHaveCount(0);

    await gotoHydrated(page, `/users/${user.id}`);
    await expect(page.getByRole('heading', { name: 'Viewed Person', level: 1 })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Save' })).toHaveCount(0);
    await expect(page.getByRole('region', { name: 'History' })).toContainText('create');

    const refused = await page.request.post('/api/users/delete', { form: { id: user.id } });
    expect(refused.status()).toBe(403);
    expect((await refused.json()).message).toBe('This needs the editor role; you are signed in as viewer.');

    await page.goto('/operators');
    await expect(page.getByRole('alert')).toHaveText(/needs the admin role/);
    await admin.dispose();
  });
});

test('the edit page shows the history newest first, and Activity lists every change', async ({ page, request }) => {
  const email = uniqueEmail('history');
  const user = await createUser(request, 'Hist One', email);
  const updated = await request.post('/api/users/update', {
    form: { id: user.id, name: 'Hist Two', email },
    headers: { Accept: 'application/json' },
  });
  expect(updated.status()).toBe(200);

  await gotoHydrated(page, `/users/${user.id}`);
  const history = page.getByRole('region', { name: 'History' });
  await expect(history).toContainText('Changes made outside this app are not recorded.');
  const rows = history.getByRole('row');
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(1)).toContainText('update');
  await expect(rows.nth(1)).toContainText('name: Hist One → Hist Two');
  await expect(rows.nth(1)).toContainText('e2e-admin');
  await expect(rows.nth(2)).toContainText('create');

  await gotoHydrated(page, '/activity');
  await expect(page.getByRole('row').filter({ hasText: 'Hist One → Hist Two' })).toContainText('e2e-admin');
});

test('an admin adds an operator, changes their role and disables them', async ({ page, browser }) => {
  const name = `op-${Date.now().toString(36)}`;
  await gotoHydrated(page, '/operators');
  const form = page.getByRole('region', { name: 'Add an operator' });
  await form.getByLabel('Username').fill(name);
  await form.getByLabel('Role').selectOption('editor');
  await form.getByLabel('Password', { exact: true }).fill('short');
  await form.getByLabel('Confirm password').fill('short');
  await form.getByRole('button', { name: 'Add operator' }).click();
  await expect(form.getByText('it needs at least 12')).toBeVisible();
  await form.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await form.getByLabel('Confirm password').fill(PASSWORD);
  await form.getByRole('button', { name: 'Add operator' }).click();

  const row = page.getByRole('row').filter({ hasText: name });
  await expect(row).toContainText('Active');
  await expect(row.getByLabel(`Role of ${name}`)).toHaveValue('editor');
  await row.getByLabel(`Role of ${name}`).selectOption('viewer');
  await row.getByRole('button', { name: 'Change role' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();

  const theirs = await freshPage(browser);
  await theirs.goto('/sign-in');
  await signInThroughForm(theirs, name, PASSWORD);
  await expect(theirs.getByText('Signed in as')).toContainText(`${name} (viewer)`);

  await page.reload();
  await page.getByRole('row').filter({ hasText: name }).getByRole('button', { name: `Disable ${name}` }).click();
  await expect(page.getByRole('row').filter({ hasText: name })).toContainText('Disabled');
  await theirs.reload();
  await expect(theirs).toHaveURL(/\/sign-in/);
  await signInThroughForm(theirs, name, PASSWORD);
  await expect(theirs.getByRole('alert')).toHaveText('Wrong username or password.');
  await theirs.context().close();
});

test('an API token is shown once, works for scripts, and stops when revoked', async ({ page, playwright, baseURL }) => {
  const label = `deploy-${Date.now().toString(36)}`;
  await gotoHydrated(page, '/tokens');
  await page.getByLabel('Operator').selectOption('e2e-editor');
  await page.getByLabel('Label').fill(label);
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = (await page.getByLabel('New API token').textContent())!.trim();
  expect(secret).toMatch(/^cu_[A-Za-z0-9_-]{40,}$/);

  const script = await playwright.request.newContext({
    baseURL,
    storageState: signedOut,
    extraHTTPHeaders: { Authorization: `Bearer ${secret}`, Accept: 'application/json' },
  });
  expect((await script.post('/api/users/list')).status()).toBe(200);

  await page.reload();
  await expect(page.getByLabel('New API token')).toHaveCount(0);
  await expect(page.getByText(secret)).toHaveCount(0);
  const row = page.getByRole('row').filter({ hasText: label });
  await expect(row).toContainText('e2e-editor');
  await row.getByRole('button', { name: `Revoke ${label}` }).click();
  await expect(page.getByRole('row').filter({ hasText: label })).toHaveCount(0);
  const refused = await script.post('/api/users/list');
  expect(refused.status()).toBe(401);
  expect((await refused.json()).error).toBe('unauthenticated');
  await script.dispose();
});

test.describe('admin pages with JavaScript disabled', () => {
  test.use({ javaScriptEnabled: false });

  test('a token made without JavaScript is shown once on the next page', async ({ page }) => {
    const label = `nojs-${Date.now().toString(36)}`;
    await page.goto('/tokens');
    await page.getByLabel('Label').fill(label);
    await page.getByRole('button', { name: 'Create token' }).click();
    await expect(page.getByLabel('New API token')).toHaveText(/^cu_/);
    await page.reload();
    await expect(page.getByLabel('New API token')).toHaveCount(0);
    await expect(page.getByRole('row').filter({ hasText: label })).toContainText('e2e-admin');
  });
});
