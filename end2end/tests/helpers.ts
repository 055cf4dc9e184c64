import { expect, type APIRequestContext, type Page } from '@playwright/test';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';

export const root = path.resolve(__dirname, '../..');
export const serverBinary = path.join(root, 'target/debug/cassandra-users');
/** The password of the operators that global-setup creates. */
export const PASSWORD = 'e2e password, long enough';
/** Signed-in browser state for each role (admin, editor, viewer), written by global-setup. */
export const authFile = (role: string) => path.join(root, 'end2end', '.auth', `${role}.json`);

/** Runs the server binary's command line (same keyspace as the server under test). */
export function cli(args: string[], input = '', env: NodeJS.ProcessEnv = {}) {
  return execFileSync(serverBinary, args, { cwd: root, input, env: { ...process.env, ...env }, encoding: 'utf8' });
}

/** A second server of our own (its own address and settings), answering /healthz with `health`. */
export async function startServer(address: string, env: NodeJS.ProcessEnv, health: number): Promise<ChildProcess> {
  const server = spawn(serverBinary, [], {
    cwd: root,
    env: { ...process.env, LEPTOS_SITE_ADDR: address, LEPTOS_SITE_ROOT: 'target/site', RUST_LOG: 'error', ...env },
    stdio: 'ignore',
  });
  let status: number | undefined;
  for (let attempt = 0; attempt < 150 && status !== health; attempt++) {
    status = await fetch(`http://${address}/healthz`).then((r) => r.status).catch(() => undefined);
    if (status !== health) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect(status, `the server at ${address} answers /healthz`).toBe(health);
  return server;
}

/** Signs in through the form, as a person does. */
export async function signInThroughForm(page: Page, username: string, password: string) {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

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

/** Opens "Add a user" from the users page (unless it is open), fills its form and submits it. */
export async function addThroughForm(page: Page, name: string, email: string) {
  if (new URL(page.url()).pathname !== '/users/new') {
    const hydrated = (await page.locator('body[data-hydrated="true"]').count()) > 0;
    await page.getByRole('link', { name: 'Add a user' }).click();
    await expect(page.getByRole('heading', { name: 'Add a user', level: 1 })).toBeVisible();
    if (hydrated) await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  }
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByRole('button', { name: 'Add user' }).click();
}

/** Searches the users page, as a person does. */
export async function searchFor(page: Page, text: string) {
  await page.getByLabel('Search', { exact: true }).fill(text);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
}

/** The table row that shows this email. */
export function rowWith(page: Page, email: string) {
  return page.getByRole('row').filter({ hasText: email });
}

/** Saves a user through the documented API, as another person or script would. */
export async function updateUser(request: APIRequestContext, id: string, name: string, email: string) {
  const response = await request.post('/api/users/update', {
    form: { id, name, email },
    headers: { Accept: 'application/json' },
  });
  expect(response.status(), await response.text()).toBe(200);
}

/** Writes a row straight into `users` over CQL, as the Python quickstart or cqlsh would: no email
 * claim, no audit event. Returns its id. */
export function insertElsewhere(name: string, email: string): string {
  const keyspace = process.env.CASSANDRA_KEYSPACE ?? 'quickstart';
  const id = crypto.randomUUID();
  const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;
  execFileSync(path.join(root, 'scripts/cassandra.sh'), [
    'cql-hex',
    `INSERT INTO ${keyspace}.users (id, name, email) VALUES (${id}, ${quote(name)}, ${quote(email)})`,
  ]);
  return id;
}
