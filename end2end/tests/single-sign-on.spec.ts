import { expect, test, type Page } from '@playwright/test';
import { expectAccessible } from './accessible';

// The browser tests' server signs in through the test provider (end2end/openid-provider.mjs,
// started by playwright.config.ts), named "Test Provider", which maps users-admin and
// users-editor to roles.
const signedOut = { cookies: [], origins: [] };
const button = (page: Page) => page.getByRole('link', { name: 'Sign in with Test Provider' });

/** The sign-in page, once the server has read the provider's keys (it reads them in the
 *  background, and the provider may have started after it). */
async function signInPageWithProvider(page: Page) {
  await expect(async () => {
    await page.goto('/sign-in');
    await expect(button(page)).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
}

/** Signs in at the provider's own page as `login`, in `groups`. */
async function atTheProvider(page: Page, login: string, groups: string) {
  await expect(page.getByRole('heading', { name: 'Test identity provider' })).toBeVisible();
  await page.getByLabel('Username').fill(login);
  await page.getByLabel('Groups').fill(groups);
  await page.getByRole('button', { name: 'Continue' }).click();
}

for (const javaScriptEnabled of [true, false]) {
  test.describe(`single sign-on (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, () => {
    test.use({ storageState: signedOut, javaScriptEnabled });

    test('signs an operator in through the provider with the role of their groups', async ({ page }) => {
      await signInPageWithProvider(page);
      if (javaScriptEnabled) await expectAccessible(page, 'the sign-in page with single sign-on');
      const login = `sso-${javaScriptEnabled ? 'js' : 'nojs'}-${Date.now().toString(36)}`;
      await button(page).click();
      await atTheProvider(page, login, 'users-editor');
      await expect(page.getByRole('heading', { name: 'Users', level: 1 })).toBeVisible();
      await expect(page.getByText(login)).toBeVisible();
      await expect(page.getByRole('link', { name: 'Add a user' })).toBeVisible();
    });
  });
}

test.describe('single sign-on refused', () => {
  test.use({ storageState: signedOut });

  test('someone in no group that gives a role is told so on the sign-in page', async ({ page }) => {
    await signInPageWithProvider(page);
    await button(page).click();
    await atTheProvider(page, `sso-none-${Date.now().toString(36)}`, 'staff');
    await expect(page).toHaveURL(/\/sign-in\?sso_error=no_role/);
    await expect(page.getByRole('alert')).toContainText('Your account at Test Provider is in none of the groups');
    await expectAccessible(page, 'the sign-in page saying why single sign-on was refused');
  });
});
