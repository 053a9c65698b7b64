#!/usr/bin/env python3
"""Verify an Anshin webhook the way docs/WEBHOOKS.md tells integrators to, with nothing but
Python's standard library (an implementation independent of the server's).

    webhook_verify.py SECRET SIGNATURE_HEADER BODY_FILE [NOW_SECS]

Exit 0 and print "valid" when the signature verifies; exit 1 with the reason otherwise.
"""
import hashlib
import hmac
import sys
import time

TOLERANCE_SECS = 300


def verify(secret: str, header: str, body: bytes, now: int) -> str:
    timestamp, signatures = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            timestamp = value
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not timestamp.isdigit() or not signatures:
        return "malformed header"
    if abs(now - int(timestamp)) > TOLERANCE_SECS:
        return "timestamp outside the tolerance"
    signed = timestamp.encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    if any(hmac.compare_digest(expected, s) for s in signatures):
        return "valid"
    return "no signature matches"


if __name__ == "__main__":
    secret, header, body_file = sys.argv[1], sys.argv[2], sys.argv[3]
    now = int(sys.argv[4]) if len(sys.argv) > 4 else int(time.time())
    with open(body_file, "rb") as f:
        body = f.read()
    result = verify(secret, header, body, now)
    print(result)
    sys.exit(0 if result == "valid" else 1)
