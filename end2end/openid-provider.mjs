// A real OpenID Provider for the tests: panva's certified `oidc-provider`, on loopback.
//
//   node openid-provider.mjs [--port N] [--claims-in-userinfo] [--expired-id-tokens]
//                            [--id-token-audience CLIENT] --redirect-uri URL …
//
// It prints `issuer http://127.0.0.1:PORT` once it answers (port 0, the default, takes a free
// one). Its sign-in page takes any username, with the groups the account should have (a comma-
// separated list; left empty, the ID token carries no groups claim at all): the tests decide who
// signs in and with which roles. Each account's `sub` is `subject-USERNAME`, never the username.
// Two clients use the redirect URIs: `cassandra-users` (the app under test) and `another-app`.
// With --claims-in-userinfo, the profile and groups are in the UserInfo answer only (as with
// providers that keep ID tokens small); by default the ID token carries them too.
// With --expired-id-tokens, the provider's clock runs five minutes behind and its ID tokens last
// one minute: each has expired when the app gets it, as from a provider whose clock is wrong.
// With --id-token-audience CLIENT, ID tokens name that client as their audience whoever asked:
// a token meant for another application, handed to the console.
import http from 'node:http';
import Provider from 'oidc-provider';

const CLIENT_ID = 'cassandra-users';
const CLIENT_SECRET = 'test-client-secret-of-the-console';

const options = { port: 0, redirectUris: [], claimsInUserInfo: false, expiredIdTokens: false, idTokenAudience: null };
for (let i = 2; i < process.argv.length; i += 1) {
  const [flag, value] = [process.argv[i], process.argv[i + 1]];
  if (flag === '--claims-in-userinfo') options.claimsInUserInfo = true;
  else if (flag === '--expired-id-tokens') options.expiredIdTokens = true;
  else if (flag === '--id-token-audience') options.idTokenAudience = value, i += 1;
  else if (flag === '--port') options.port = Number(value), i += 1;
  else if (flag === '--redirect-uri') options.redirectUris.push(value), i += 1;
  else throw new Error(`unknown option ${flag}`);
}
if (options.redirectUris.length === 0) throw new Error('give at least one --redirect-uri');

if (options.expiredIdTokens) {
  const now = Date.now;
  Date.now = () => now() - 5 * 60 * 1000;
}

// Standard output carries the issuer line alone (a test reads it, then stops reading): the
// provider's notices go to standard error.
const say = (line) => process.stdout.write(`${line}\n`);
console.log = console.info = (...args) => console.error(...args);

const server = http.createServer();
await new Promise((resolve) => server.listen(options.port, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

/** The claims of each account, as its last sign-in gave them. */
const accounts = new Map();

const client = (client_id, client_secret) => ({
  client_id,
  client_secret,
  redirect_uris: options.redirectUris,
  grant_types: ['authorization_code'],
  response_types: ['code'],
});

const provider = new Provider(issuer, {
  clients: [client(CLIENT_ID, CLIENT_SECRET), client('another-app', 'test-client-secret-of-another-app')],
  claims: {
    openid: ['sub'],
    profile: ['preferred_username', 'name'],
    email: ['email'],
    groups: ['groups'],
  },
  // Claims of the granted scopes in the ID token too (as Keycloak's and most providers' are),
  // unless asked to keep them to UserInfo.
  conformIdTokenClaims: options.claimsInUserInfo,
  pkce: { required: () => true },
  ...(options.expiredIdTokens ? { ttl: { IdToken: 60 } } : {}),
  cookies: { keys: ['a test provider of the console, not for use elsewhere'] },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    const claims = accounts.get(id);
    if (!claims) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...claims }) };
  },
  // Every client is the organisation's own: no consent screen.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid profile email groups');
    await grant.save();
    return grant;
  },
});

const escape = (text) =>
  String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function signInPage(uid) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test provider</title></head>
<body><main><h1>Test identity provider</h1>
<form method="post" action="/interaction/${escape(uid)}/login">
<p><label>Username <input name="login" autocomplete="off" required></label></p>
<p><label>Groups <input name="groups" autocomplete="off"></label></p>
<p><button type="submit">Continue</button></p>
</form></main></body></html>`;
}

async function readForm(request) {
  let body = '';
  for await (const chunk of request) body += chunk;
  return new URLSearchParams(body);
}

if (options.idTokenAudience) {
  // The audience of an ID token is the client it is issued to: it is issued as if to another.
  const issue = provider.IdToken.prototype.issue;
  provider.IdToken.prototype.issue = async function issueForAnotherAudience(...args) {
    const { client } = this;
    this.client = Object.create(client, { clientId: { value: options.idTokenAudience } });
    try {
      return await issue.apply(this, args);
    } finally {
      this.client = client;
    }
  };
}

const handle = provider.callback();
server.on('request', async (request, response) => {
  const match = request.url.match(/^\/interaction\/([^/?]+)(\/login)?/);
  if (!match) return handle(request, response);
  try {
    const details = await provider.interactionDetails(request, response);
    if (request.method === 'GET') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return response.end(signInPage(details.uid));
    }
    const form = await readForm(request);
    const login = (form.get('login') ?? '').trim();
    const groups = (form.get('groups') ?? '').split(',').map((g) => g.trim()).filter(Boolean);
    const accountId = `subject-${login}`;
    accounts.set(accountId, {
      preferred_username: login,
      name: login,
      email: `${login}@example.org`,
      ...(groups.length > 0 ? { groups } : {}),
    });
    await provider.interactionFinished(request, response, { login: { accountId } }, {
      mergeWithLastSubmission: false,
    });
  } catch (error) {
    response.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(`the test provider could not go on: ${error.message}`);
  }
});

say(`issuer ${issuer}`);
