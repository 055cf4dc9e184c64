import { request, type APIRequestContext, type FullConfig } from '@playwright/test';
import * as OTPAuth from 'otpauth';
import { authFile, cli, PASSWORD } from './tests/helpers';

// cargo-leptos starts the server and the tests together: wait until the server answers and
// has reached Cassandra (/healthz is 200 only after a successful CQL query). Then create one
// operator per role with the CLI, as a script would, and sign each in once. The admin adds an
// authenticator app in that session, as creating API tokens needs a sign-in with a second factor.
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
    } else if (role === 'admin') {
      // A keyspace kept from an earlier run: its authenticator app's secret is gone with that run.
      cli(['operator', 'mfa-reset', username]);
    }
    const context = await request.newContext({ baseURL });
    const signedIn = await context.post('/api/auth/sign-in', {
      form: { username, password: PASSWORD },
      headers: { Accept: 'application/json' },
    });
    if (!signedIn.ok()) throw new Error(`sign-in as ${username}: ${signedIn.status()} ${await signedIn.text()}`);
    if (role === 'admin') await addAuthenticatorApp(context);
    await context.storageState({ path: authFile(role) });
    await context.dispose();
  }
}

/** What the Security page does: add an authenticator app and confirm it with its first code. */
async function addAuthenticatorApp(context: APIRequestContext) {
  const headers = { Accept: 'application/json' };
  const added = await context.post('/api/security/authenticator/add', { headers });
  if (!added.ok()) throw new Error(`adding an authenticator app: ${added.status()} ${await added.text()}`);
  const secret = ((await added.json()).secret as string).replace(/\s/g, '');
  const code = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 }).generate();
  const confirmed = await context.post('/api/security/authenticator/confirm', { form: { code }, headers });
  if (!confirmed.ok()) throw new Error(`confirming the authenticator app: ${confirmed.status()} ${await confirmed.text()}`);
}
