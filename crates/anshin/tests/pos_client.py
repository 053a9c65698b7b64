#!/usr/bin/env python3
"""A POS client written from docs/POS-API.md alone, with Python's standard library: it takes a
customer-presented payment, then reads it back. Usage:
    pos_client.py BASE_URL KEY_ID SECRET CUSTOMER_CODE AMOUNT
Prints one JSON object: {"status": <http status>, "payment": <body>, "read": <body of the GET>}."""

import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.request


def signed(method, base_url, path, key_id, secret, body=b""):
    ts, nonce = str(int(time.time())), os.urandom(16).hex()
    message = "\n".join([method, path, ts, nonce, hashlib.sha256(body).hexdigest()])
    signature = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    req = urllib.request.Request(base_url + path, data=body if method == "POST" else None, method=method)
    headers = {
        "Anshin-Key": key_id,
        "Anshin-Timestamp": ts,
        "Anshin-Nonce": nonce,
        "Anshin-Signature": signature,
        "Content-Type": "application/json",
    }
    for name, value in headers.items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def main():
    base_url, key_id, secret, code, amount = sys.argv[1:6]
    body = json.dumps({"customer_code": code, "amount_minor": int(amount), "currency": "JPY",
                       "terminal_id": "python-till", "reference": "from the docs"}).encode()
    status, payment = signed("POST", base_url, "/v1/pos/payments", key_id, secret, body)
    read = None
    if status == 201:
        _, read = signed("GET", base_url, "/v1/pos/payments/" + payment["id"], key_id, secret)
    print(json.dumps({"status": status, "payment": payment, "read": read}))


if __name__ == "__main__":
    main()
