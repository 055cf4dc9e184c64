import { expect, type APIRequestContext, type Page } from '@playwright/test';

/** Opens a page and waits until the WebAssembly app has hydrated it (no sleeps). */
export async function gotoHydrated(page: Page, path: string) {
  await page.goto(path);
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
}

let counter = 0;
/** An email no other test (or earlier run) uses. */
export function uniqueEmail(label: string) {
  counter += 1;
  return `${label}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 7)}@example.com`;
}

export type User = { id: string; name: string; email: string };

/** Creates a user through the documented API, as a script would. */
export async function createUser(request: APIRequestContext, name: string, email: string): Promise<User> {
  const response = await request.post('/api/users/create', {
    form: { name, email },
    headers: { Accept: 'application/json' },
  });
  expect(response.status(), await response.text()).toBe(200);
  return response.json();
}

/** Fills the "Add a user" form and submits it. */
export async function addThroughForm(page: Page, name: string, email: string) {
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByRole('button', { name: 'Add user' }).click();
}

/** The table row that shows this email. */
export function rowWith(page: Page, email: string) {
  return page.getByRole('row').filter({ hasText: email });
}
