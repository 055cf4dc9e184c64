import { request, type FullConfig } from '@playwright/test';
import { authFile, cli, PASSWORD } from './tests/helpers';

// cargo-leptos starts the server and the tests together: wait until the server answers and
// has reached Cassandra (/healthz is 200 only after a successful CQL query). Then create one
// operator per role with the CLI, as a script would, and sign each in once.
export default async function globalSetup(config: FullConfig) {
  const baseURL = config.projects[0].use.baseURL!;
  const deadline = Date.now() + 180_000;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${baseURL}/healthz`);
      if (response.ok) break;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  if (Date.now() >= deadline) throw new Error(`the server at ${baseURL} did not become healthy: ${last}`);

  for (const role of ['admin', 'editor', 'viewer']) {
    const username = `e2e-${role}`;
    if (!cli(['operator', 'list']).includes(`${username}\t`)) {
      cli(['operator', 'add', username, '--role', role], `${PASSWORD}\n`);
    }
    const context = await request.newContext({ baseURL });
    const signedIn = await context.post('/api/auth/sign-in', {
      form: { username, password: PASSWORD },
      headers: { Accept: 'application/json' },
    });
    if (!signedIn.ok()) throw new Error(`sign-in as ${username}: ${signedIn.status()} ${await signedIn.text()}`);
    await context.storageState({ path: authFile(role) });
    await context.dispose();
  }
}
