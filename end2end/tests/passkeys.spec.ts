import { expect, test, type Browser, type Page } from '@playwright/test';
import { expectAccessible } from './accessible';
import { cli, PASSWORD, signInThroughForm } from './helpers';

// Passkeys belong to a host name, never an IP address: these tests reach the server as
// `localhost` (the relying party when PUBLIC_URL names no host), on the port of the base URL.
const signedOut = { cookies: [], origins: [] };

function atLocalhost(baseURL: string | undefined) {
  const url = new URL(baseURL!);
  url.hostname = 'localhost';
  return url.origin;
}

/** A Chromium virtual authenticator (CDP WebAuthn) that says yes with a verified user. */
async function withVirtualAuthenticator(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
}

async function signedOutPage(browser: Browser, origin: string, javaScriptEnabled = true) {
  const context = await browser.newContext({ baseURL: origin, storageState: signedOut, javaScriptEnabled });
  return context.newPage();
}

test.describe('passkeys', () => {
  test.use({ storageState: signedOut });

  test('are added on the Security page and used at the next sign-in; without JavaScript a code still works', async ({ browser, baseURL }) => {
    const origin = atLocalhost(baseURL);
    const username = `passkey-${Date.now().toString(36)}`;
    cli(['operator', 'add', username, '--role', 'editor'], `${PASSWORD}\n`);

    const page = await signedOutPage(browser, origin);
    await withVirtualAuthenticator(page);
    await page.goto('/sign-in');
    await signInThroughForm(page, username, PASSWORD);
    await expect(page.getByRole('heading', { name: 'Users', level: 1 })).toBeVisible();
    await page.goto('/security');
    await page.getByLabel('Passkey name').fill('Work laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await expect(page).toHaveURL(/\/security\?added=passkey/);
    await expect(page.getByRole('button', { name: 'Remove the passkey Work laptop' })).toBeVisible();
    await expectAccessible(page, 'the Security page with a passkey');
    await page.getByRole('button', { name: 'Create recovery codes' }).click();
    const recovery = (await page.getByRole('list', { name: 'New recovery codes' }).getByRole('listitem').first().textContent())!.trim();

    // The next sign-in asks for the passkey after the password.
    await page.context().clearCookies();
    await page.goto('/sign-in');
    await signInThroughForm(page, username, PASSWORD);
    await expect(page).toHaveURL(/\/sign-in\/code/);
    await expectAccessible(page, 'the second step offering a passkey');
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await expect(page.getByRole('heading', { name: 'Users', level: 1 })).toBeVisible();

    // Without JavaScript there is no WebAuthn: the second step asks for a code.
    const plain = await signedOutPage(browser, origin, false);
    await plain.goto('/sign-in');
    await signInThroughForm(plain, username, PASSWORD);
    await expect(plain).toHaveURL(/\/sign-in\/code/);
    await expect(plain.getByRole('button', { name: 'Use a passkey' })).toBeHidden();
    await plain.getByLabel('Code').fill(recovery);
    await plain.getByRole('button', { name: 'Verify' }).click();
    await expect(plain.getByRole('heading', { name: 'Users', level: 1 })).toBeVisible();

    // Removed, it is asked for no more.
    await page.goto('/security');
    await page.getByRole('button', { name: 'Remove the passkey Work laptop' }).click();
    await expect(page.getByText('None yet.')).toBeVisible();
    await page.context().clearCookies();
    await page.goto('/sign-in');
    await signInThroughForm(page, username, PASSWORD);
    await expect(page.getByRole('heading', { name: 'Users', level: 1 })).toBeVisible();
  });

  test('a page reached at an IP address says passkeys need a host name', async ({ browser, baseURL }) => {
    const username = `passkey-ip-${Date.now().toString(36)}`;
    cli(['operator', 'add', username, '--role', 'viewer'], `${PASSWORD}\n`);
    const page = await signedOutPage(browser, baseURL!);
    await page.goto('/sign-in');
    await signInThroughForm(page, username, PASSWORD);
    await page.goto('/security');
    await expect(page.getByText('Passkeys need this console\'s host name (localhost)')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Add a passkey' })).toHaveCount(0);
  });
});
