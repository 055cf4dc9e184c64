import { defineConfig } from '@playwright/test';

// `cargo leptos end-to-end` starts the server at LEPTOS_SITE_ADDR and runs these tests.
const baseURL = `http://${process.env.LEPTOS_SITE_ADDR ?? '127.0.0.1:3000'}`;
// The server signs in through this OpenID Provider (scripts/test.sh sets OIDC_ISSUER for it).
const issuer = process.env.OIDC_ISSUER ?? 'http://127.0.0.1:3011';

export default defineConfig({
  testDir: './tests',
  globalSetup: './global-setup.ts',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  // One browser at a time: 2-core machines, and the paging test counts what it sees.
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  retries: 0,
  reporter: 'list',
  // A real OpenID Provider for single sign-on (panva's oidc-provider), on the issuer's port.
  webServer: {
    command: `node openid-provider.mjs --port ${new URL(issuer).port} --redirect-uri ${baseURL}/auth/oidc/callback`,
    url: `${issuer}/.well-known/openid-configuration`,
    reuseExistingServer: false,
    stdout: 'ignore',
    stderr: 'ignore',
  },
  use: {
    baseURL,
    // Signed in as the admin that global-setup created; specs switch role with test.use.
    storageState: './.auth/admin.json',
    trace: 'retain-on-failure',
    launchOptions: {
      // Playwright's own browser download is not used: we drive the system's Chromium.
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
