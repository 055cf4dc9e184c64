import { expect, test, type Page } from '@playwright/test';
import { gotoHydrated } from './helpers';

/** What the browser fetched for this page, with the bytes that crossed the network for each. */
function transfers(page: Page) {
  return page.evaluate(() =>
    [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')].map((entry) => ({
      url: entry.name,
      bytes: (entry as PerformanceResourceTiming).transferSize,
    })),
  );
}

test('the bundle has content-hashed names and browsers may keep it for a year', async ({ page }) => {
  const bundle: { url: string; cacheControl: string | undefined }[] = [];
  page.on('response', (response) => {
    if (new URL(response.url()).pathname.startsWith('/pkg/')) {
      bundle.push({ url: response.url(), cacheControl: response.headers()['cache-control'] });
    }
  });
  await gotoHydrated(page, '/');

  const names = bundle.map(({ url }) => new URL(url).pathname.split('/').pop());
  for (const extension of ['css', 'js', 'wasm']) {
    expect(names, `a hashed .${extension}`).toContainEqual(expect.stringMatching(new RegExp(`^cassandra-users\\.[\\w-]+\\.${extension}$`)));
  }
  for (const { url, cacheControl } of bundle) {
    expect(cacheControl, url).toBe('public, max-age=31536000, immutable');
  }
});

test('a repeat visit takes the bundle from the browser cache: only the page travels', async ({ page }) => {
  await gotoHydrated(page, '/');
  await gotoHydrated(page, '/?repeat=1');

  const fetched = await transfers(page);
  const bundle = fetched.filter(({ url }) => new URL(url).pathname.startsWith('/pkg/'));
  expect(bundle.length, 'the page still uses its CSS, JS and WebAssembly').toBeGreaterThanOrEqual(3);
  for (const { url, bytes } of bundle) expect(bytes, `${url} came from the cache`).toBe(0);
  const document = fetched.find(({ url }) => new URL(url).pathname === '/');
  expect(document?.bytes, 'the page itself is fetched again').toBeGreaterThan(0);
});
