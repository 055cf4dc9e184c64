// Passkeys (WebAuthn) for the Security page ("Add a passkey") and sign-in's second step ("Use a
// passkey"). The server runs each ceremony (webauthn-rs): `begin` answers the options as JSON
// text, `finish` takes the browser's answer as JSON text. Kept out of the WebAssembly bundle:
// only these two pages load it.
'use strict';

(() => {
  const supported = window.PublicKeyCredential
    && typeof PublicKeyCredential.parseCreationOptionsFromJSON === 'function'
    && typeof PublicKeyCredential.parseRequestOptionsFromJSON === 'function';

  /** Posts a form to a server function; answers its JSON, or throws its message. */
  async function call(endpoint, fields = {}) {
    const response = await fetch(`/api/${endpoint}`, {
      method: 'POST',
      headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
      credentials: 'same-origin',
    });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      throw new Error(body?.message ?? `The server answered ${response.status}.`);
    }
    return body;
  }

  function say(container, message) {
    const problem = container.querySelector('[data-passkey-problem]');
    problem.textContent = message;
    problem.hidden = !message;
  }

  /** What the person reads when the browser's own dialog ends without a passkey. */
  function browserProblem(error) {
    if (error?.name === 'NotAllowedError') return 'No passkey was given (the request was cancelled or timed out). Try again.';
    if (error?.name === 'InvalidStateError') return 'This device has a passkey for you here already.';
    return error?.message ?? String(error);
  }

  function setUp(container, button, run) {
    if (!supported) return;
    container.hidden = false;
    button.addEventListener('click', async () => {
      button.disabled = true;
      say(container, '');
      try {
        await run();
      } catch (error) {
        say(container, browserProblem(error));
      } finally {
        button.disabled = false;
      }
    });
  }

  const adding = document.querySelector('[data-passkey-add]');
  if (adding) {
    setUp(adding, adding.querySelector('[data-passkey-add-button]'), async () => {
      const options = JSON.parse(await call('security/passkeys/begin'));
      const credential = await navigator.credentials.create({
        publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options.publicKey),
      });
      const name = adding.querySelector('input[name="name"]').value;
      await call('security/passkeys/finish', { name, credential: JSON.stringify(credential.toJSON()) });
      window.location.assign('/security?added=passkey#passkeys');
    });
  }

  const signingIn = document.querySelector('[data-passkey-sign-in]');
  if (signingIn) {
    setUp(signingIn, signingIn.querySelector('[data-passkey-sign-in-button]'), async () => {
      const options = JSON.parse(await call('auth/passkey/begin'));
      const credential = await navigator.credentials.get({
        publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey),
      });
      const next = await call('auth/passkey/finish', {
        credential: JSON.stringify(credential.toJSON()),
        next: signingIn.dataset.next ?? '/',
      });
      window.location.assign(next);
    });
  }
})();
