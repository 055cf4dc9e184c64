import { expect, test, type APIRequestContext, type Locator, type Page } from '@playwright/test';
import { addThroughForm, createUser, gotoHydrated, rowWith, searchFor, uniqueEmail, updateUser } from './helpers';

test('the page shows the Cassandra version from the real node', async ({ page }) => {
  await gotoHydrated(page, '/');
  await expect(page.getByText(/Connected to Cassandra 5\.0\.\d+/)).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Users', level: 1 })).toBeVisible();
});

test('create a user', async ({ page }) => {
  const email = uniqueEmail('create');
  await gotoHydrated(page, '/');
  await addThroughForm(page, 'Grace Hopper', `  ${email.toUpperCase()} `);

  await expect(page.getByRole('status').filter({ hasText: 'User added.' })).toBeVisible();
  await expect(rowWith(page, email)).toContainText('Grace Hopper');
  expect(new URL(page.url()).pathname).toBe('/');
  expect(new URL(page.url()).searchParams.get('added')).toMatch(/^[0-9a-f-]{36}$/);
});

test('a duplicate email is refused next to the field, keeping what was typed', async ({ page, request }) => {
  const email = uniqueEmail('dup');
  await createUser(request, 'First Owner', email);
  await gotoHydrated(page, '/');
  await addThroughForm(page, 'Second Owner', email);

  const emailInput = page.getByLabel('Email', { exact: true });
  await expect(page.getByText('That email is already in use')).toBeVisible();
  await expect(emailInput).toHaveAttribute('aria-invalid', 'true');
  await expect(emailInput).toHaveAccessibleDescription('That email is already in use');
  await expect(emailInput).toHaveValue(email);
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Second Owner');
});

test('an invalid email is explained and nothing is lost', async ({ page }) => {
  await gotoHydrated(page, '/');
  await addThroughForm(page, 'Typo', 'typo.example.com');

  const emailInput = page.getByLabel('Email', { exact: true });
  await expect(page.getByText('An email address needs an @')).toBeVisible();
  await expect(emailInput).toHaveAttribute('aria-invalid', 'true');
  await expect(emailInput).toHaveValue('typo.example.com');
  await expect(page.getByLabel('Name', { exact: true })).toHaveAttribute('aria-invalid', 'false');
});

test('with JavaScript the browser checks the form before anything is sent', async ({ page }) => {
  await gotoHydrated(page, '/');
  const posts: string[] = [];
  page.on('request', (request) => {
    if (request.method() === 'POST') posts.push(request.url());
  });
  await addThroughForm(page, '', 'typo.example.com');

  await expect(page.getByLabel('Email', { exact: true })).toHaveAccessibleDescription(/An email address needs an @/);
  await expect(page.getByLabel('Name', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Email', { exact: true })).toHaveValue('typo.example.com');
  expect(posts, 'the shared rules ran in the browser').toEqual([]);
});

test('edit a user', async ({ page }) => {
  const email = uniqueEmail('edit');
  const newEmail = uniqueEmail('edited');
  await gotoHydrated(page, '/');
  await addThroughForm(page, 'Alan', email);
  await rowWith(page, email).getByRole('link', { name: 'Edit' }).click();

  await expect(page.getByRole('heading', { name: 'Edit Alan' })).toBeVisible();
  await page.getByLabel('Name', { exact: true }).fill('Alan Turing');
  await page.getByLabel('Email', { exact: true }).fill(newEmail);
  await page.getByRole('button', { name: 'Save' }).click();

  await expect(page.getByRole('status').filter({ hasText: 'Changes saved.' })).toBeVisible();
  await expect(rowWith(page, newEmail)).toContainText('Alan Turing');
  await expect(rowWith(page, email)).toHaveCount(0);
});

test('delete asks for confirmation first', async ({ page, request }) => {
  const email = uniqueEmail('delete');
  await gotoHydrated(page, '/');
  await addThroughForm(page, 'Short Lived', email);
  await rowWith(page, email).getByRole('button', { name: 'Delete' }).click();

  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText('Delete Short Lived?');
  const stillThere = await request.post('/api/users/find', { form: { email } });
  expect(stillThere.status(), 'nothing is deleted before the confirmation').toBe(200);
  await dialog.getByRole('button', { name: 'Yes, delete' }).click();

  await expect(page.getByRole('status').filter({ hasText: 'User deleted.' })).toBeVisible();
  await searchFor(page, email);
  await expect(page.getByText('No users match.')).toBeVisible();
});

test('cancel keeps the user', async ({ page, request }) => {
  const email = uniqueEmail('keep');
  const user = await createUser(request, 'Kept', email);
  await gotoHydrated(page, `/?delete=${user.id}`);
  await page.getByRole('dialog').getByRole('link', { name: 'Cancel' }).click();
  await expect(page.getByRole('dialog')).toHaveCount(0);
  const check = await request.post('/api/users/get', { form: { id: user.id } });
  expect(check.status()).toBe(200);
});

test('paging goes through every user once, and Back returns to the previous page', async ({ page, request }) => {
  const mine = new Set<string>();
  for (let i = 0; i < 12; i++) {
    const email = uniqueEmail(`page${i}`);
    await createUser(request, `Pager ${i}`, email);
    mine.add(email);
  }
  await gotoHydrated(page, '/');
  const emailsShown = () => page.locator('table.users tbody tr td.email').allTextContents();
  const seen: string[] = [];
  const pageUrls: string[] = [];
  for (let pageNumber = 0; pageNumber < 200; pageNumber++) {
    pageUrls.push(page.url());
    const emails = await emailsShown();
    expect(emails.length).toBeLessThanOrEqual(5);
    seen.push(...emails);
    const next = page.getByRole('link', { name: 'Next page' });
    if ((await next.count()) === 0) break;
    await next.click();
    // The old rows stay until the next page has loaded; pages never share a row.
    await expect.poll(async () => (await emailsShown()).join(' ')).not.toBe(emails.join(' '));
  }
  expect(pageUrls.length).toBeGreaterThanOrEqual(3);
  expect(new Set(seen).size, 'no user appears twice').toBe(seen.length);
  for (const email of mine) expect(seen, `${email} was on some page`).toContain(email);

  await page.goBack();
  await expect(page).toHaveURL(pageUrls[pageUrls.length - 2]);
  await page.getByRole('link', { name: 'First page' }).click();
  await expect(page).toHaveURL(/\/$/);
});

for (const javaScriptEnabled of [true, false]) {
  test.describe(`sorting (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, () => {
    test.use({ javaScriptEnabled });

    test('users are listed by name, case and accents aside; Previous page walks back; Storage order is a choice', async ({ page, request }) => {
      const tag = `Sortcheck${Date.now().toString(36)}${javaScriptEnabled ? 'j' : 'n'}`;
      const mine = ['Émile', 'adam', 'Zoë', 'beth', 'ÇAĞRI', 'dora'];
      for (const [i, first] of mine.entries()) await createUser(request, `${tag} ${first}`, uniqueEmail(`sort${i}`));
      await page.goto('/');
      await expect(page.getByLabel('Sort by')).toHaveValue('name');
      const namesShown = () => page.locator('table.users tbody tr td:has(a[href^="/users/"]) a').allTextContents();
      const seen: string[] = [];
      for (let pages = 0; pages < 200; pages++) {
        const names = await namesShown();
        seen.push(...names);
        const next = page.getByRole('link', { name: 'Next page' });
        if ((await next.count()) === 0) break;
        await next.click();
        await expect.poll(async () => (await namesShown()).join('|')).not.toBe(names.join('|'));
      }
      const ours = seen.filter((name) => name.startsWith(tag)).map((name) => name.slice(tag.length + 1));
      expect(ours).toEqual(['adam', 'beth', 'ÇAĞRI', 'dora', 'Émile', 'Zoë']);

      // Back from the last page, one page at a time, to the first.
      const lastPage = await namesShown();
      let walkedBack = 0;
      while ((await page.getByRole('link', { name: 'Previous page' }).count()) > 0 && walkedBack < 200) {
        const before = await namesShown();
        await page.getByRole('link', { name: 'Previous page' }).click();
        await expect.poll(async () => (await namesShown()).join('|')).not.toBe(before.join('|'));
        walkedBack++;
      }
      expect(walkedBack).toBeGreaterThan(0);
      expect(await namesShown()).toEqual(seen.slice(0, (await namesShown()).length));
      expect(lastPage.length).toBeGreaterThan(0);

      await page.getByLabel('Sort by').selectOption({ label: 'Storage order' });
      await page.getByRole('button', { name: 'Sort', exact: true }).click();
      await expect(page).toHaveURL(/sort=token/);
      await expect(page.getByText("Listed in Cassandra's storage (token) order")).toBeVisible();
      await expect(page.getByRole('link', { name: 'Previous page' })).toHaveCount(0);
    });
  });
}

test('a whole email finds exactly its user, in any case', async ({ page, request }) => {
  const email = uniqueEmail('find');
  await createUser(request, 'Findable Person', email);
  await gotoHydrated(page, '/');
  await searchFor(page, ` ${email.toUpperCase()} `);
  await expect(page.getByRole('table').getByRole('row')).toHaveCount(2);
  await expect(rowWith(page, email)).toContainText('Findable Person');

  await searchFor(page, uniqueEmail('nobody'));
  await expect(page.getByText('No users match.')).toBeVisible();
});

test('a name with HTML shows literally', async ({ page, request }) => {
  const email = uniqueEmail('xss');
  const name = '<script>alert(1)</script><b>bold</b>';
  const user = await createUser(request, name, email);
  let dialogs = 0;
  page.on('dialog', (dialog) => {
    dialogs += 1;
    void dialog.dismiss();
  });
  await gotoHydrated(page, `/?added=${user.id}`);
  await expect(rowWith(page, email).getByRole('link', { name })).toBeVisible();
  await expect(page.locator('b', { hasText: 'bold' })).toHaveCount(0);
  expect(dialogs).toBe(0);
});

test.describe('with JavaScript disabled', () => {
  test.use({ javaScriptEnabled: false });

  test('create and delete still work', async ({ page }) => {
    const email = uniqueEmail('nojs');
    await page.goto('/');
    await addThroughForm(page, 'No Script', email);

    await expect(page.getByRole('status').filter({ hasText: 'User added.' })).toBeVisible();
    await rowWith(page, email).getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Yes, delete' }).click();

    await expect(page.getByRole('status').filter({ hasText: 'User deleted.' })).toBeVisible();
    await searchFor(page, email);
    await expect(page.getByText('No users match.')).toBeVisible();
  });

  test('validation errors come back to the form', async ({ page }) => {
    await page.goto('/');
    await addThroughForm(page, 'No Script', 'not-an-email');
    await expect(page.getByText('An email address needs an @')).toBeVisible();
    await expect(page.getByLabel('Email', { exact: true })).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByLabel('Email', { exact: true })).toHaveValue('not-an-email');
    await expect(page.getByLabel('Name', { exact: true })).toHaveValue('No Script');
  });

  test('a taken email on edit is refused, keeping what was typed', async ({ page, request }) => {
    const taken = uniqueEmail('taken');
    await createUser(request, 'Owner', taken);
    const user = await createUser(request, 'Editor', uniqueEmail('editor'));
    await page.goto(`/users/${user.id}`);
    await page.getByLabel('Name', { exact: true }).fill('Renamed Editor');
    await page.getByLabel('Email', { exact: true }).fill(taken);
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByText('That email is already in use')).toBeVisible();
    await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Renamed Editor');
    await expect(page.getByLabel('Email', { exact: true })).toHaveValue(taken);
  });
});

/** Opens the edit page, lets someone else save first, then saves what this person typed. */
async function saveAfterSomeoneElse(page: Page, request: APIRequestContext, open: (path: string) => Promise<void>) {
  const user = await createUser(request, 'Opened', uniqueEmail('opened'));
  const theirEmail = uniqueEmail('theirs');
  const myEmail = uniqueEmail('mine');
  await open(`/users/${user.id}`);
  await updateUser(request, user.id, 'Their Name', theirEmail);
  await page.getByLabel('Name', { exact: true }).fill('My Name');
  await page.getByLabel('Email', { exact: true }).fill(myEmail);
  await page.getByRole('button', { name: 'Save' }).click();

  const conflict = page.getByRole('alert').filter({ hasText: 'Someone changed this user since you opened it' });
  await expect(conflict).toBeVisible();
  const values = conflict.getByRole('table', { name: 'Their values and yours' });
  await expect(values.getByRole('row', { name: /Name/ })).toContainText('Their Name');
  await expect(values.getByRole('row', { name: /Name/ })).toContainText('My Name');
  await expect(values.getByRole('row', { name: /Email/ })).toContainText(theirEmail);
  await expect(values.getByRole('row', { name: /Email/ })).toContainText(myEmail);
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('My Name');
  await expect(page.getByLabel('Email', { exact: true })).toHaveValue(myEmail);
  return { user, conflict, theirEmail, myEmail };
}

for (const javaScriptEnabled of [true, false]) {
  test.describe(`editing a user someone else just saved (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, () => {
    test.use({ javaScriptEnabled });
    const open = (page: Page) => (path: string) => (javaScriptEnabled ? gotoHydrated(page, path) : page.goto(path).then(() => {}));

    test('the save is refused with both versions, and can overwrite theirs', async ({ page, request }) => {
      const { conflict, myEmail } = await saveAfterSomeoneElse(page, request, open(page));
      await conflict.getByRole('button', { name: 'Overwrite with mine' }).click();
      await expect(page.getByRole('status').filter({ hasText: 'Changes saved.' })).toBeVisible();
      await expect(rowWith(page, myEmail)).toContainText('My Name');
    });

    test('starting again from theirs shows their values', async ({ page, request }) => {
      const { conflict, theirEmail } = await saveAfterSomeoneElse(page, request, open(page));
      await conflict.getByRole('link', { name: 'Start again from theirs' }).click();
      await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Their Name');
      await expect(page.getByLabel('Email', { exact: true })).toHaveValue(theirEmail);
      await expect(page.getByText('Someone changed this user since you opened it')).toHaveCount(0);
    });

    test('a delete confirms against what the dialog showed', async ({ page, request }) => {
      const user = await createUser(request, 'Shown', uniqueEmail('shown'));
      await open(page)(`/?delete=${user.id}`);
      const dialog = page.getByRole('dialog');
      await expect(dialog.getByRole('heading', { name: 'Delete Shown?' })).toBeVisible();
      await updateUser(request, user.id, 'Changed Meanwhile', user.email);
      await dialog.getByRole('button', { name: 'Yes, delete' }).click();

      await expect(page.getByRole('alert').filter({ hasText: 'Someone changed this user since you opened it' })).toBeVisible();
      await expect(dialog.getByRole('heading', { name: 'Delete Changed Meanwhile?' })).toBeVisible();
      await dialog.getByRole('button', { name: 'Yes, delete' }).click();
      await expect(page.getByRole('status').filter({ hasText: 'User deleted.' })).toBeVisible();
    });
  });
}

test.describe('on a desktop', () => {
  test.use({ viewport: { width: 1366, height: 768 } });

  test('each user is one line: checkbox, name, email and buttons centred on it', async ({ page, request }) => {
    const email = uniqueEmail('one-line');
    await createUser(request, 'Ada Lovelace', email);
    await gotoHydrated(page, `/?q=${encodeURIComponent(email)}`);
    const row = rowWith(page, email);
    const name = row.getByRole('link', { name: 'Ada Lovelace' });
    const middle = async (locator: Locator) => {
      const box = await locator.boundingBox();
      expect(box, 'laid out').not.toBeNull();
      return box!.y + box!.height / 2;
    };
    const nameMiddle = await middle(name);
    for (const [what, control] of [
      ['checkbox', row.getByRole('checkbox')],
      ['email', row.locator('td.email')],
      ['Edit', row.getByRole('link', { name: 'Edit' })],
      ['Delete', row.getByRole('button', { name: 'Delete' })],
    ] as const) {
      expect(Math.abs((await middle(control)) - nameMiddle), `${what} is centred on the name`).toBeLessThanOrEqual(4);
    }
    const lineHeight = await name.evaluate((link) => parseFloat(getComputedStyle(link).lineHeight));
    const rowHeight = (await row.boundingBox())!.height;
    expect(rowHeight, `a row of ${rowHeight}px for a line of ${lineHeight}px`).toBeLessThanOrEqual(2 * lineHeight);
  });
});
