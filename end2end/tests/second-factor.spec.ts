import { expect, test, type Page } from '@playwright/test';
import * as OTPAuth from 'otpauth';
import { expectAccessible } from './accessible';
import { cli, PASSWORD, signInThroughForm } from './helpers';

const signedOut = { cookies: [], origins: [] };

/** A new operator of its own: adding a second factor changes how they sign in. */
function newOperator(tag: string) {
  const username = `totp-${tag}-${Date.now().toString(36)}`;
  cli(['operator', 'add', username, '--role', 'viewer'], `${PASSWORD}\n`);
  return username;
}

/** The phone: an authenticator app holding the secret the Security page showed. */
async function phoneFrom(page: Page) {
  const secret = (await page.getByLabel('Secret').textContent())!.replace(/\s/g, '');
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 });
  // Each code works once: the first for confirming, the next step's (one step of clock skew is
  // allowed) for signing in.
  const at = (seconds: number) => totp.generate({ timestamp: Date.now() + seconds * 1000 });
  return {
    now: () => at(0),
    next: () => at(30),
    /** A code that none of the steps the server could accept now has. */
    wrong: () => ['000000', '111111', '222222', '333333', '444444'].find((code) => ![-30, 0, 30, 60].some((s) => at(s) === code))!,
  };
}

for (const javaScriptEnabled of [true, false]) {
  test.describe(`an authenticator app (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, () => {
    test.use({ storageState: signedOut, javaScriptEnabled });

    test('is added on the Security page and asked for at the next sign-in', async ({ page }) => {
      const username = newOperator(javaScriptEnabled ? 'js' : 'nojs');
      await page.goto('/sign-in');
      await signInThroughForm(page, username, PASSWORD);
      await page.getByRole('link', { name: 'Security' }).click();
      await expect(page.getByRole('heading', { name: 'Security', level: 1 })).toBeVisible();
      if (javaScriptEnabled) await expectAccessible(page, 'the Security page');

      await page.getByRole('button', { name: 'Add an authenticator app' }).click();
      await expect(page.getByRole('img', { name: 'Scan this with your authenticator app' })).toBeVisible();
      const phone = await phoneFrom(page);
      await page.getByLabel('Code').fill(phone.wrong());
      await page.getByRole('button', { name: 'Confirm' }).click();
      await expect(page.getByText('That code is not right')).toBeVisible();
      if (javaScriptEnabled) await expectAccessible(page, 'the Security page adding an app');
      await page.getByLabel('Code').fill(phone.now());
      await page.getByRole('button', { name: 'Confirm' }).click();
      await expect(page.getByText(/^On since/)).toBeVisible();
      await expect(page.getByRole('button', { name: 'Remove the authenticator app' })).toBeVisible();

      await page.getByRole('button', { name: 'Create recovery codes' }).click();
      await expect(page.getByRole('list', { name: 'New recovery codes' }).getByRole('listitem')).toHaveCount(10);

      await page.getByRole('button', { name: 'Sign out' }).click();
      await expect(page).toHaveURL(/\/sign-in$/);
      await signInThroughForm(page, username, PASSWORD);
      await expect(page).toHaveURL(/\/sign-in\/code/);
      await expect(page.getByRole('heading', { name: 'Sign in: code' })).toBeVisible();
      if (javaScriptEnabled) await expectAccessible(page, 'sign-in asking for the code');
      await page.getByLabel('Code').fill(phone.next());
      await page.getByRole('button', { name: 'Verify' }).click();
      await expect(page.getByRole('heading', { name: 'Users', level: 1 })).toBeVisible();
      await expect(page.getByText('Signed in as')).toContainText(username);
    });
  });
}
