// Bytes a real Chromium receives for a first and a repeat visit of one page (`make bench`).
//
//   node end2end/bench/visit-bytes.mjs <base-url> <username> <password> [path]
//
// Signs in through the form, then opens `path` (default `/`) in a fresh cache and again, and
// prints JSON: for each visit, every response's encoded bytes as Resource Timing reports them
// (`transferSize`: headers + compressed body; 0 when the browser's cache answered).
import { chromium } from '@playwright/test';

const [base, username, password, path = '/'] = process.argv.slice(2);
if (!base || !username || !password) {
  console.error('usage: visit-bytes.mjs <base-url> <username> <password> [path]');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run'],
});
try {
  const context = await browser.newContext({ baseURL: base });
  const page = await context.newPage();
  await page.goto('/sign-in');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === '/');

  // Signing in fetched the bundle: start the first visit with an empty cache.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.clearBrowserCache');

  const visit = async (label) => {
    await page.goto(path);
    await page.locator('body[data-hydrated="true"]').waitFor({ state: 'attached' });
    const entries = await page.evaluate(() =>
      [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')].map((entry) => ({
        url: new URL(entry.name).pathname,
        bytes: entry.transferSize,
        decoded: entry.decodedBodySize,
      })),
    );
    return { visit: label, total: entries.reduce((sum, entry) => sum + entry.bytes, 0), entries };
  };
  const first = await visit('first');
  const repeat = await visit('repeat');
  console.log(JSON.stringify({ path, first, repeat }));
} finally {
  await browser.close();
}
