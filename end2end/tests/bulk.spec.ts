import { expect, test } from '@playwright/test';
import { createUser, gotoHydrated, rowWith, searchFor, uniqueEmail, updateUser, type User } from './helpers';

const uniqueWord = () => `B${Math.random().toString(36).replace(/[^a-z]/g, '').slice(0, 8)}`;

async function threeUsers(request: Parameters<typeof createUser>[0], word: string): Promise<User[]> {
  const users: User[] = [];
  for (const first of ['Amy', 'Ben', 'Cy']) users.push(await createUser(request, `${first} ${word}`, uniqueEmail(first)));
  return users;
}

test('delete selected confirms with the names and reports a row changed meanwhile', async ({ page, request }) => {
  const word = uniqueWord();
  const [amy, ben, cy] = await threeUsers(request, word);
  await gotoHydrated(page, '/');
  await searchFor(page, word);
  await page.getByRole('checkbox', { name: `Select Amy ${word}` }).check();
  await page.getByRole('checkbox', { name: `Select Ben ${word}` }).check();
  await page.getByRole('button', { name: 'Delete selected' }).click();

  await expect(page.getByRole('heading', { name: 'Delete 2 users?' })).toBeVisible();
  await expect(page.getByRole('listitem').filter({ hasText: `Amy ${word}` })).toBeVisible();
  await expect(page.getByRole('listitem').filter({ hasText: `Ben ${word}` })).toBeVisible();
  // Someone renames Ben before the confirmation.
  await updateUser(request, ben.id, `Ben ${word} Renamed`, ben.email);
  await page.getByRole('button', { name: 'Yes, delete 2 users' }).click();

  await expect(page.getByRole('status')).toHaveText('Deleted 1 user.');
  const benRow = page.getByRole('row').filter({ hasText: `Ben ${word}` });
  await expect(benRow).toContainText('changed since you saw it: not deleted');
  await expect(benRow.getByRole('link', { name: 'open it' })).toHaveAttribute('href', `/users/${ben.id}`);
  await expect(page.getByRole('row').filter({ hasText: `Amy ${word}` })).toContainText('deleted');

  await gotoHydrated(page, `/?q=${word}`);
  await expect(rowWith(page, amy.email)).toHaveCount(0);
  await expect(rowWith(page, ben.email)).toContainText('Renamed');
  await expect(rowWith(page, cy.email)).toBeVisible();
});

test('select all on this page checks every row, and again clears them', async ({ page, request }) => {
  const word = uniqueWord();
  await threeUsers(request, word);
  await gotoHydrated(page, `/?q=${word}`);
  const boxes = page.locator('table.users tbody').getByRole('checkbox');
  await expect(boxes).toHaveCount(3);
  await page.getByRole('button', { name: 'Select all on this page' }).click();
  for (const box of await boxes.all()) await expect(box).toBeChecked();
  await page.getByRole('button', { name: 'Select all on this page' }).click();
  for (const box of await boxes.all()) await expect(box).not.toBeChecked();
});

test.describe('with JavaScript disabled', () => {
  test.use({ javaScriptEnabled: false });

  test('select all, confirm on a page, and a row deleted meanwhile is reported gone', async ({ page, request }) => {
    const word = uniqueWord();
    const [amy, ben, cy] = await threeUsers(request, word);
    await page.goto(`/?q=${word}`);
    await page.getByRole('button', { name: 'Select all on this page' }).click();
    for (const box of await page.locator('table.users tbody').getByRole('checkbox').all()) await expect(box).toBeChecked();
    await page.getByRole('button', { name: 'Delete selected' }).click();
    await expect(page.getByRole('heading', { name: 'Delete 3 users?' })).toBeVisible();
    // Someone deletes Cy meanwhile.
    const gone = await request.post('/api/users/delete', { form: { id: cy.id }, headers: { Accept: 'application/json' } });
    expect(gone.status()).toBe(200);
    await page.getByRole('button', { name: 'Yes, delete 3 users' }).click();

    await expect(page.getByRole('status')).toHaveText('Deleted 2 users.');
    await expect(page.getByRole('row').filter({ hasText: `Cy ${word}` })).toContainText('gone already');
    await page.goto(`/?q=${word}`);
    await expect(page.getByText('No users match.')).toBeVisible();
    for (const user of [amy, ben]) await expect(rowWith(page, user.email)).toHaveCount(0);
  });

  test('cancel goes back to the search', async ({ page, request }) => {
    const word = uniqueWord();
    await threeUsers(request, word);
    await page.goto(`/?q=${word}`);
    await page.getByRole('checkbox').first().check();
    await page.getByRole('button', { name: 'Delete selected' }).click();
    await page.getByRole('link', { name: 'Cancel' }).click();
    await expect(page).toHaveURL(new RegExp(`/\\?q=${word}$`));
    await expect(page.locator('table.users tbody tr')).toHaveCount(3);
  });
});
