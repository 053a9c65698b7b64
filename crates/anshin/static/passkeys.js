// Passkeys for the Anshin pages: the only script on the site. It turns the server's WebAuthn
// options (base64url in JSON) into what the browser's API takes, and the authenticator's answer
// back into JSON. The server decides everything; this only carries bytes.
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
  if (!response.ok) throw new Error((await response.json()).error?.message || "request failed");
  return response.json();
}

function report(message) {
  const out = document.getElementById("passkey-status");
  if (out) out.textContent = message;
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
  const run = target.dataset.passkey === "add" ? addPasskey : usePasskey;
  run(target).catch((e) => report("Passkey: " + e.message));
});
