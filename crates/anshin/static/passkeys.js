// Passkeys for the Anshin pages: the only script on the site. It turns the server's WebAuthn
// options (base64url in JSON) into what the browser's API takes, and the authenticator's answer
// back into JSON. The server decides everything; this only carries bytes. It holds no words:
// what it says comes from the page's #passkey-status data attributes (in the page's language)
// or from the server's error message (in the same language).
"use strict";

const b64urlToBytes = (s) => {
  const pad = "=".repeat((4 - (s.length % 4)) % 4);
  const bin = atob((s + pad).replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
};
const bytesToB64url = (buf) =>
  btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

async function postJson(url, csrf, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", "x-csrf-token": csrf },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    throw new Error(body?.error?.message || "");
  }
  return response.json();
}

// Says `kind` (waiting, cancelled, unsupported, failed) in the page's words, plus a detail.
function report(kind, detail) {
  const out = document.getElementById("passkey-status");
  if (!out) return;
  const words = out.dataset[kind] || "";
  out.textContent = detail ? words + " " + detail : words;
}

// The browser's own errors for a cancelled or timed-out prompt carry English text: say it in
// the page's words instead.
function explain(error) {
  if (error && (error.name === "NotAllowedError" || error.name === "AbortError")) report("cancelled");
  else report("failed", error && error.message);
}

async function addPasskey(button) {
  const csrf = button.dataset.csrf;
  const { challenge_id, options } = await postJson("/wallet/security/passkeys/options", csrf, {});
  const pk = options.publicKey;
  pk.challenge = b64urlToBytes(pk.challenge);
  pk.user.id = b64urlToBytes(pk.user.id);
  (pk.excludeCredentials || []).forEach((c) => (c.id = b64urlToBytes(c.id)));
  const cred = await navigator.credentials.create({ publicKey: pk });
  const credential = {
    id: cred.id,
    rawId: bytesToB64url(cred.rawId),
    type: cred.type,
    response: {
      attestationObject: bytesToB64url(cred.response.attestationObject),
      clientDataJSON: bytesToB64url(cred.response.clientDataJSON),
    },
    extensions: cred.getClientExtensionResults(),
  };
  await postJson("/wallet/security/passkeys/finish", csrf, { challenge_id, credential });
  window.location.reload();
}

async function usePasskey(button) {
  const form = document.getElementById("passkey-form");
  const csrf = form.querySelector("[name=csrf]").value;
  const challenge = form.querySelector("[name=challenge_id]").value;
  const { challenge_id: state_id, options } = await postJson("/login/passkey/options", csrf, { challenge_id: challenge });
  const pk = options.publicKey;
  pk.challenge = b64urlToBytes(pk.challenge);
  (pk.allowCredentials || []).forEach((c) => (c.id = b64urlToBytes(c.id)));
  const cred = await navigator.credentials.get({ publicKey: pk });
  const credential = {
    id: cred.id,
    rawId: bytesToB64url(cred.rawId),
    type: cred.type,
    response: {
      authenticatorData: bytesToB64url(cred.response.authenticatorData),
      clientDataJSON: bytesToB64url(cred.response.clientDataJSON),
      signature: bytesToB64url(cred.response.signature),
      userHandle: cred.response.userHandle ? bytesToB64url(cred.response.userHandle) : null,
    },
    extensions: cred.getClientExtensionResults(),
  };
  form.querySelector("[name=code]").value = JSON.stringify({ state_id, credential });
  form.submit();
}

document.addEventListener("click", (event) => {
  const target = event.target.closest("[data-passkey]");
  if (!target) return;
  event.preventDefault();
  if (!window.PublicKeyCredential || !navigator.credentials) {
    report("unsupported");
    return;
  }
  report("waiting");
  const run = target.dataset.passkey === "add" ? addPasskey : usePasskey;
  run(target).catch(explain);
});
