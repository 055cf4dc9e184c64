import { expect, test, type Page } from '@playwright/test';
import { authFile, gotoHydrated, rowWith, searchFor, uniqueEmail } from './helpers';

/** A CSV file as the file chooser hands it over. */
function csvFile(name: string, rows: string[][]) {
  const quote = (cell: string) => (/[",\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell);
  const text = ['name,email', ...rows.map((row) => row.map(quote).join(','))].join('\n') + '\n';
  return { name, mimeType: 'text/csv', buffer: Buffer.from(text, 'utf8') };
}

async function uploadThroughForm(page: Page, file: ReturnType<typeof csvFile>, mode: 'Skip the row' | 'Update the name') {
  await page.getByLabel('CSV file').setInputFiles(file);
  await page.getByRole('radio', { name: mode }).check();
  await page.getByRole('button', { name: 'Upload and preview' }).click();
}

const word = () => `Imp${Math.random().toString(36).replace(/[^a-z]/g, '').slice(0, 8)}`;

for (const javaScriptEnabled of [true, false]) {
  test.describe(`with JavaScript ${javaScriptEnabled ? 'on' : 'off'}`, () => {
    test.use({ javaScriptEnabled });

    test('upload shows the preview, Start import writes the rows, and the job is listed', async ({ page }) => {
      const w = word();
      const [ann, bob] = [uniqueEmail('ann'), uniqueEmail('bob')];
      if (javaScriptEnabled) await gotoHydrated(page, '/import');
      else await page.goto('/import');
      await uploadThroughForm(page, csvFile(`${w}.csv`, [[`Ann ${w}`, ann], [`Bob, ${w}`, bob], ['', 'broken']]), 'Skip the row');

      await expect(page.getByRole('status')).toHaveText('Preview: nothing written yet');
      const details = page.locator('dl.details').first();
      await expect(details).toContainText('Rows in the file3');
      await expect(details).toContainText('New users2');
      await expect(details).toContainText('Rows that cannot be imported1');
      const problem = page.getByRole('row').filter({ hasText: 'broken' });
      await expect(problem).toContainText('4');
      await expect(problem).toContainText('Name: Enter a name.');
      await expect(page.getByRole('link', { name: 'Download them all (CSV)' })).toBeVisible();

      await page.getByRole('button', { name: 'Start import' }).click();
      if (!javaScriptEnabled) {
        // Without JavaScript the page is what the server saw then: refresh until it is done.
        for (let i = 0; i < 60 && !(await page.getByRole('status').textContent())?.includes('Done'); i++) {
          await page.waitForTimeout(500);
          await page.reload();
        }
      }
      await expect(page.getByRole('status')).toHaveText('Done');
      await expect(page.locator('dl.details').nth(1)).toContainText('Created2');

      await page.goto(`/?q=${w}`);
      await expect(rowWith(page, ann)).toBeVisible();
      await expect(rowWith(page, bob)).toContainText(`Bob, ${w}`);
      await page.goto('/import');
      await expect(page.getByRole('row').filter({ hasText: `${w}.csv` })).toContainText('2 created, 0 updated, 0 skipped, 1 failed');
    });
  });
}

test('a file that cannot be imported says why on the Import page', async ({ page }) => {
  await gotoHydrated(page, '/import');
  await page.getByLabel('CSV file').setInputFiles({ name: 'phones.csv', mimeType: 'text/csv', buffer: Buffer.from('name,phone\nAnn,123\n') });
  await page.getByRole('button', { name: 'Upload and preview' }).click();
  await expect(page.getByRole('alert')).toContainText('columns this import does not take: phone');
});

test('Export CSV downloads every user with the header id,name,email', async ({ page, request }) => {
  const email = uniqueEmail('export');
  await request.post('/api/users/create', { form: { name: '=Export Me', email }, headers: { Accept: 'application/json' } });
  await gotoHydrated(page, '/');
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Export CSV' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^users-\d{4}-\d{2}-\d{2}\.csv$/);
  const text = require('node:fs').readFileSync(await file.path(), 'utf8');
  expect(text.startsWith('id,name,email\n')).toBe(true);
  expect(text).toContain(`,'=Export Me,${email}\n`);
});

test.describe('as a viewer', () => {
  test.use({ storageState: authFile('viewer') });

  test('there is no Import link, and the page says it needs the editor role', async ({ page }) => {
    await gotoHydrated(page, '/');
    await expect(page.getByRole('link', { name: 'Import CSV' })).toHaveCount(0);
    await expect(page.getByRole('link', { name: 'Export CSV' })).toBeVisible();
    const response = await page.goto('/import');
    expect(response?.status()).toBe(403);
    await expect(page.getByRole('alert')).toContainText('needs the editor role');
  });
});

test('search still finds imported users', async ({ page }) => {
  const w = word();
  const email = uniqueEmail('found');
  await gotoHydrated(page, '/import');
  await uploadThroughForm(page, csvFile('found.csv', [[`Zed ${w}`, email]]), 'Update the name');
  await page.getByRole('button', { name: 'Start import' }).click();
  await expect(page.getByRole('status')).toHaveText('Done');
  await gotoHydrated(page, '/');
  await searchFor(page, w);
  await expect(rowWith(page, email)).toBeVisible();
});
