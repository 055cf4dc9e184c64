import type { FullConfig } from '@playwright/test';

// cargo-leptos starts the server and the tests together: wait until the server answers and
// has reached Cassandra (/healthz is 200 only after a successful CQL query).
export default async function globalSetup(config: FullConfig) {
  const baseURL = config.projects[0].use.baseURL!;
  const deadline = Date.now() + 180_000;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${baseURL}/healthz`);
      if (response.ok) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`the server at ${baseURL} did not become healthy: ${last}`);
}
