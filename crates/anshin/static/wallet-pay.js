// The one-time payment code of the web wallet (/wallet/pay). The server hands this browser a
// device secret once; it is imported at once as a NON-EXTRACTABLE WebCrypto HMAC-SHA-256 key,
// kept in IndexedDB with the device number and counter, and the raw bytes are forgotten. Codes
// are then made here, without a network round trip, exactly as src/payments/codes.rs makes them:
//
//   MAC    = HMAC-SHA-256(key, "anshin-cpm-v1|{device_number}|{counter}|{time_secs}")
//   QR     = base64 of the EMV consumer-presented BER-TLV
//            85 05 "CPV01"
//            61 14 [4F 07 A0 00 00 09 99 00 01] [9F19 08 device number, 8 bytes big-endian]
//            62 1B [64 19 [9F26 08 MAC[0..8]] [9F36 04 counter] [9F37 04 time], 4 bytes BE each]
//   digits = "9860" + device (10) + counter (6) + time mod 100000 (5) + (MAC[0..8] as u64) mod 10^10 (10)
//
// The counter is written to IndexedDB before a code is shown, so no two codes share one. The
// script holds no words: what it says comes from the data attributes of #pay.
"use strict";

(() => {
  const DB_NAME = "anshin-wallet";
  const STORE = "device";
  const RECORD = "current";
  const AID = [0xa0, 0x00, 0x00, 0x09, 0x99, 0x00, 0x01];
  const TIME_MODULUS_SECS = 100000;

  // ---- Codes (pure, given a key) ----

  const be = (value, bytes) => {
    let v = BigInt(value);
    const out = new Array(bytes);
    for (let i = bytes - 1; i >= 0; i -= 1) {
      out[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return out;
  };
  const tlv = (tag, value) => {
    if (value.length > 0x7f) throw new Error("a code field is too long");
    return [...tag, value.length, ...value];
  };
  const pad = (n, width) => String(n).padStart(width, "0");

  async function mac8(key, deviceNumber, counter, timeSecs) {
    const message = new TextEncoder().encode(`anshin-cpm-v1|${deviceNumber}|${counter}|${timeSecs}`);
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, message));
    return Array.from(mac.slice(0, 8));
  }

  // Both forms of one code: { qr, digits }.
  async function encode(key, deviceNumber, counter, timeSecs) {
    const mac = await mac8(key, deviceNumber, counter, timeSecs);
    const app = tlv([0x61], [...tlv([0x4f], AID), ...tlv([0x9f, 0x19], be(deviceNumber, 8))]);
    const transparent = tlv([0x64], [
      ...tlv([0x9f, 0x26], mac),
      ...tlv([0x9f, 0x36], be(counter, 4)),
      ...tlv([0x9f, 0x37], be(timeSecs, 4)),
    ]);
    const bytes = [...tlv([0x85], Array.from(new TextEncoder().encode("CPV01"))), ...app, ...tlv([0x62], transparent)];
    const qr = btoa(String.fromCharCode(...bytes));
    let macNumber = 0n;
    for (const b of mac) macNumber = (macNumber << 8n) | BigInt(b);
    const digits =
      "9860" +
      pad(deviceNumber, 10) +
      pad(counter, 6) +
      pad(((timeSecs % TIME_MODULUS_SECS) + TIME_MODULUS_SECS) % TIME_MODULUS_SECS, 5) +
      pad(macNumber % 10000000000n, 10);
    return { qr, digits };
  }

  // ---- IndexedDB: one record, the key and where its counter stands ----

  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function withStore(mode, work) {
    const db = await openDb();
    try {
      return await new Promise((resolve, reject) => {
        const tx = db.transaction(STORE, mode);
        let result;
        Promise.resolve(work(tx.objectStore(STORE))).then((r) => (result = r), reject);
        tx.oncomplete = () => resolve(result);
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error);
      });
    } finally {
      db.close();
    }
  }

  const request = (r) =>
    new Promise((resolve, reject) => {
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });

  const readRecord = () => withStore("readonly", (store) => request(store.get(RECORD)));
  const writeRecord = (record) => withStore("readwrite", (store) => request(store.put(record, RECORD)));
  const clearRecord = () => withStore("readwrite", (store) => request(store.delete(RECORD)));

  // The next counter, committed before it is used: read and write in one transaction, so two
  // tabs never take the same one.
  function takeCounter() {
    return withStore("readwrite", async (store) => {
      const record = await request(store.get(RECORD));
      if (!record) return null;
      record.counter += 1;
      await request(store.put(record, RECORD));
      return record;
    });
  }

  // For checking this encoder against the server's (the browser test): codes from a given key.
  window.anshinCodes = Object.freeze({ encode });

  // ---- The page ----

  const root = document.getElementById("pay");
  if (!root) return;
  const words = root.dataset;
  const status = document.getElementById("pay-status");
  const setup = document.getElementById("setup");
  const codeBox = document.getElementById("code");
  const canvas = document.getElementById("qr");
  const digitsOut = document.getElementById("digits");
  const countdown = document.getElementById("countdown");
  const refreshSecs = Number(words.refreshSecs) || 30;
  let timer = null;
  let nextAt = 0;

  const say = (kind, text) => {
    status.className = "notice " + kind;
    status.textContent = text;
  };

  function stopShowing() {
    if (timer) clearInterval(timer);
    timer = null;
    codeBox.hidden = true;
    digitsOut.textContent = "";
    digitsOut.removeAttribute("data-code");
  }

  function offerSetup(kind, text) {
    stopShowing();
    say(kind, text);
    setup.hidden = false;
    setup.disabled = false;
  }

  function drawQr(payload) {
    // qrcode-generator: type 0 picks the smallest version that holds the payload; level M.
    const qr = qrcode(0, "M");
    qr.addData(payload, "Byte");
    qr.make();
    const count = qr.getModuleCount();
    const quiet = 4;
    const cell = Math.floor(canvas.width / (count + 2 * quiet));
    const offset = Math.floor((canvas.width - cell * count) / 2);
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = "#000000";
    for (let r = 0; r < count; r += 1) {
      for (let c = 0; c < count; c += 1) {
        if (qr.isDark(r, c)) ctx.fillRect(offset + c * cell, offset + r * cell, cell, cell);
      }
    }
  }

  async function showCode() {
    const record = await takeCounter();
    if (!record) {
      offerSetup("info", words.setupWhy);
      return;
    }
    const timeSecs = Math.floor(Date.now() / 1000);
    const code = await encode(record.key, record.number, record.counter, timeSecs);
    drawQr(code.qr);
    canvas.dataset.payload = code.qr;
    digitsOut.dataset.code = code.digits;
    // Groups of five, easier to read out; a till takes the digits without the spaces.
    digitsOut.textContent = code.digits.replace(/(\d{5})(?=\d)/g, "$1 ");
    codeBox.hidden = false;
    setup.hidden = true;
    say("success", words.ready);
    nextAt = Date.now() + refreshSecs * 1000;
    tick();
  }

  function tick() {
    const left = Math.max(0, Math.ceil((nextAt - Date.now()) / 1000));
    countdown.textContent = words.countdown.replace("{s}", String(left));
    if (left <= 0) refresh();
  }

  // A fresh code, after asking (if the network answers) whether the key still works. No answer
  // is not a "no": codes are made offline.
  async function refresh() {
    nextAt = Date.now() + refreshSecs * 1000;
    const record = await readRecord().catch(() => null);
    if (!record) return offerSetup("info", words.setupWhy);
    try {
      const response = await fetch("/wallet/pay/device", { credentials: "same-origin", cache: "no-store" });
      if (response.status === 401 || response.status === 403) return offerSetup("error", words.dead);
      if (response.ok) {
        const { device_number } = await response.json();
        if (device_number !== record.number) return offerSetup("error", words.dead);
      }
    } catch (_) {
      // Offline: the code is still good for the till, which checks it.
    }
    await showCode();
  }

  async function provision() {
    setup.disabled = true;
    say("info", words.working);
    const response = await fetch("/wallet/pay/device", {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { "x-csrf-token": setup.dataset.csrf },
    });
    const body = await response.json().catch(() => null);
    if (!response.ok || !body) throw new Error(body?.error?.message || "");
    const b64 = body.secret.replace(/-/g, "+").replace(/_/g, "/");
    const raw = Uint8Array.from(atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0));
    body.secret = "";
    let key;
    try {
      key = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    } finally {
      raw.fill(0);
    }
    // The counter of the last code made: the first code shown uses next_counter.
    await writeRecord({ key, number: body.device_number, counter: body.next_counter - 1 });
    root.dataset.device = String(body.device_number);
  }

  async function start() {
    if (!window.crypto?.subtle || !window.indexedDB || typeof qrcode !== "function") {
      say("error", words.unsupported);
      return;
    }
    setup.addEventListener("click", () => {
      provision()
        .then(showCode)
        .then(() => {
          if (!timer) timer = setInterval(tick, 1000);
        })
        .catch((e) => offerSetup("error", e?.message ? words.failed + " " + e.message : words.failed));
    });
    const record = await readRecord().catch(() => null);
    const live = words.device ? Number(words.device) : null;
    if (!record) return offerSetup("info", words.setupWhy);
    if (record.number !== live) {
      // The server stopped this key (signed out, locked, or replaced): it makes codes no till takes.
      await clearRecord().catch(() => {});
      return offerSetup("error", words.dead);
    }
    await showCode();
    timer = setInterval(tick, 1000);
    // Timers sleep in a hidden tab: a page shown again gets a fresh code at once.
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && timer) refresh();
    });
  }

  start().catch(() => say("error", words.failed));
})();
