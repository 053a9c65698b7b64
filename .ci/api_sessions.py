#!/usr/bin/env python3
"""Bearer tokens for the API contract run (.ci/schemathesis.sh), obtained the way a client would.

    api_sessions.py wallet BASE_URL
        registers a wallet through the API, reading both codes from the dev mailbox;
    api_sessions.py operator BASE_URL EMAIL INITIAL_PASSWORD
        signs in an operator made by `anshin admin create-operator`, takes the enrolment-only
        session, sets up an authenticator app (codes computed here, RFC 6238) and so gets a full
        session.

Prints the token on stdout. Every answer on the way is checked against /openapi.json (its status
is listed for the operation, its body matches the schema), which covers the successful answers
that random requests cannot reach. Needs jsonschema_rs, which schemathesis brings.
"""

import base64
import hashlib
import hmac
import json
import re
import struct
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import jsonschema_rs

DOCUMENT = None


def send(base, method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base.rstrip("/") + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
            return response.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode() or "null")


def operation(path):
    """The documented operation whose template matches `path` (ids in braces match a segment)."""
    # Literal templates first: /v1/account/unlock/cancellation is not /v1/account/unlock/{id}.
    for template, item in sorted(DOCUMENT["paths"].items(), key=lambda t: t[0].count("{")):
        parts = re.split(r"(\{[^/]+\})", template)
        if re.fullmatch("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts), path):
            return template, item
    sys.exit(f"{path} is not in the OpenAPI document")


def call(base, method, path, body=None, token=None):
    """One request, and its answer checked against the document."""
    global DOCUMENT
    if DOCUMENT is None:
        DOCUMENT = send(base, "GET", "/openapi.json")[1]
    status, answer = send(base, method, path, body, token)
    template, item = operation(path.split("?")[0])
    responses = item[method.lower()]["responses"]
    if str(status) not in responses:
        sys.exit(f"{method} {template} answered {status}, which it does not list: {answer}")
    schema = responses[str(status)].get("content", {}).get("application/json", {}).get("schema")
    if schema is not None:
        try:
            jsonschema_rs.Draft202012Validator({**schema, "components": DOCUMENT["components"]}).validate(answer)
        except jsonschema_rs.ValidationError as e:
            sys.exit(f"{method} {template} {status}: the body does not match its schema: {e.message}")
    return status, answer


def expect(result, status, what):
    got, body = result
    if got != status:
        sys.exit(f"{what}: expected {status}, got {got}: {body}")
    return body


def newest_message_id(base, recipient):
    query = urllib.parse.urlencode({"recipient": recipient, "limit": 1})
    messages = expect(call(base, "GET", "/v1/dev/mailbox?" + query), 200, "read the dev mailbox")
    return messages[0]["id"] if messages else 0


def code_from_mailbox(base, recipient, after_id=0, wait_secs=30):
    """The six-digit code in the newest message to `recipient` newer than `after_id`, once the
    outbox worker has delivered it."""
    deadline = time.time() + wait_secs
    query = urllib.parse.urlencode({"recipient": recipient, "limit": 5})
    while time.time() < deadline:
        messages = expect(call(base, "GET", "/v1/dev/mailbox?" + query), 200, "read the dev mailbox")
        for message in (m for m in messages if m["id"] > after_id):
            found = re.search(r"\b(\d{6})\b", message["body"])
            if found:
                return found.group(1)
        time.sleep(0.2)
    sys.exit(f"no code for {recipient} in the dev mailbox after {wait_secs} s")


def wallet(base):
    email, phone, password = "contract@example.jp", "+819011112222", "a river of paper lanterns 7"
    started = expect(
        call(base, "POST", "/v1/registrations", {
            "email": email,
            "phone": phone,
            "password": password,
            "legal_name": "Contract Test",
            "date_of_birth": "1990-04-01",
        }),
        202,
        "register",
    )
    codes = {"email_code": code_from_mailbox(base, email), "sms_code": code_from_mailbox(base, phone)}
    registered = expect(
        call(base, "POST", "/v1/registrations/verification", {"registration_id": started["registration_id"], **codes}),
        201,
        "verify the registration",
    )
    # Sign in again with a recovery code, as from another device: the session the run uses.
    challenge = expect(call(base, "POST", "/v1/sessions", {"email": email, "password": password}), 200, "sign in")
    answer = {"factor": "recovery_code", "code": registered["recovery_codes"][0]}
    path = f"/v1/sessions/challenges/{challenge['challenge_id']}"
    if challenge["email_proof_required"]:
        # The fuzzing before made this address busy with failures: prove the e-mail too.
        seen = newest_message_id(base, email)
        expect(call(base, "POST", path + "/email"), 202, "ask for the e-mail code")
        answer["email_code"] = code_from_mailbox(base, email, after_id=seen)
    token = expect(call(base, "POST", path, answer), 201, "answer the challenge")["token"]
    expect(call(base, "GET", "/v1/me", token=token), 200, "read the profile")
    return token


def totp(secret_base32, at=None):
    key = base64.b32decode(secret_base32.upper() + "=" * (-len(secret_base32) % 8))
    digest = hmac.new(key, struct.pack(">Q", int((at or time.time()) // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000)


def operator(base, email, password):
    challenge = expect(call(base, "POST", "/v1/sessions", {"email": email, "password": password}), 200, "sign in")
    if not challenge.get("enrolment_required"):
        sys.exit(f"a new operator should have to enrol a factor: {challenge}")
    path = f"/v1/sessions/challenges/{challenge['challenge_id']}/enrolment"
    token = expect(call(base, "POST", path), 201, "enrolment session")["token"]
    secret = expect(call(base, "POST", "/v1/me/factors/totp", token=token), 201, "start an app")["secret"]
    path = "/v1/me/factors/totp/confirmation"
    expect(call(base, "POST", path, {"code": totp(secret)}, token=token), 200, "confirm the app")
    return token


def main(argv):
    if len(argv) == 3 and argv[1] == "wallet":
        print(wallet(argv[2]))
    elif len(argv) == 5 and argv[1] == "operator":
        print(operator(argv[2], argv[3], argv[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
