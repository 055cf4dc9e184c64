import { expect, test } from '@playwright/test';
import { createUser, gotoHydrated, rowWith, searchFor, uniqueEmail } from './helpers';

/** A word no other test's users have, so a search for it finds only this test's users. */
const uniqueWord = () => `Q${Math.random().toString(36).replace(/[^a-z]/g, '').slice(0, 8)}`;

test('search finds the start of name words whatever the case and accents', async ({ page, request }) => {
  const word = uniqueWord();
  const zoe = uniqueEmail('zoe');
  const ana = uniqueEmail('ana');
  await createUser(request, `Zoë ${word}`, zoe);
  await createUser(request, `Ana Martínez-${word}`, ana);
  await createUser(request, 'Someone Else', uniqueEmail('else'));

  await gotoHydrated(page, '/');
  await searchFor(page, `ZOE ${word.slice(0, 4).toLowerCase()}`);
  await expect(page.getByRole('heading', { name: /Users matching/ })).toBeVisible();
  await expect(page.getByText('By the word that matched, then by name')).toBeVisible();
  await expect(rowWith(page, zoe)).toContainText(`Zoë ${word}`);
  await expect(page.locator('table.users tbody tr')).toHaveCount(1);
  expect(new URL(page.url()).searchParams.get('q')).toBe(`ZOE ${word.slice(0, 4).toLowerCase()}`);

  await searchFor(page, word.toLowerCase());
  await expect(page.locator('table.users tbody tr')).toHaveCount(2);
  await page.goBack();
  await expect(page.locator('table.users tbody tr')).toHaveCount(1);
});

test('a search that is too short is explained', async ({ page }) => {
  await gotoHydrated(page, '/');
  await searchFor(page, 'x');
  await expect(page.getByRole('alert')).toContainText('Type at least 2 characters');
});

test('"/" focuses the search box, except while typing', async ({ page }) => {
  await gotoHydrated(page, '/');
  await page.locator('h1').click();
  await page.keyboard.press('/');
  await expect(page.getByLabel('Search', { exact: true })).toBeFocused();
  await expect(page.getByLabel('Search', { exact: true })).toHaveValue('');
  await page.keyboard.type('a/b');
  await expect(page.getByLabel('Search', { exact: true })).toHaveValue('a/b');
});

test.describe('on a phone', () => {
  test.use({ viewport: { width: 390, height: 844 } });

  test('the list fits the screen and long emails wrap between their parts', async ({ page, request }) => {
    const email = `a.very.long.address.of.someone-${Date.now()}@subdomain.of.a.long.example.com`;
    await createUser(request, 'Long Address Person', email);
    await gotoHydrated(page, `/?q=${encodeURIComponent(email)}`);
    await expect(rowWith(page, email)).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, 'no sideways scrolling').toBeLessThanOrEqual(0);
    await expect(page.getByLabel('Search', { exact: true })).toBeInViewport();
  });

  test('the first users show without scrolling, and Add a user opens its own page', async ({ page, request }) => {
    await createUser(request, 'Phone Visible Person', uniqueEmail('phone'));
    await gotoHydrated(page, '/');
    const firstRow = page.locator('table.users tbody tr').first();
    await expect(firstRow).toBeVisible();
    const box = await firstRow.boundingBox();
    expect(box, 'the first row is laid out').not.toBeNull();
    // What sits above the table, should this fail: each block and its height.
    const above = await page.evaluate(() =>
      Array.from(document.querySelectorAll('main > *, main section > *'))
        .map((el) => `${el.tagName.toLowerCase()}.${el.className}: ${Math.round(el.getBoundingClientRect().top)}+${Math.round(el.getBoundingClientRect().height)}`)
        .join('; '),
    );
    expect(box!.y, `the first row starts on the first screen (844 px); above it: ${above}`).toBeLessThan(844);
    await expect(page.getByRole('textbox', { name: 'Name', exact: true })).toHaveCount(0);
    await page.getByRole('link', { name: 'Add a user' }).click();
    await expect(page).toHaveURL(/\/users\/new$/);
    await expect(page.getByLabel('Name', { exact: true })).toBeInViewport();
  });
});

test.describe('with JavaScript disabled', () => {
  test.use({ javaScriptEnabled: false });

  test('search and its pages work as links', async ({ page, request }) => {
    const word = uniqueWord();
    for (let i = 0; i < 7; i++) await createUser(request, `Paged ${word} ${i}`, uniqueEmail(`paged${i}`));
    await page.goto('/');
    await searchFor(page, word);
    const seen: string[] = [];
    for (let n = 0; n < 5; n++) {
      const emails = await page.locator('table.users tbody tr td.email').allTextContents();
      seen.push(...emails);
      const next = page.getByRole('link', { name: 'Next page' });
      if ((await next.count()) === 0) break;
      await next.click();
    }
    expect(new Set(seen).size).toBe(7);
    expect(seen.length).toBe(7);
  });
});
