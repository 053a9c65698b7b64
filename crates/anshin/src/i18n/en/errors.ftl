# Anshin: error messages by error code, in English, as the pages show them.
# The entry for code `code_rejected` is `error-code-rejected`. The API sends the English message
# its handler wrote (integrators may rely on it); these entries are for pages.
# { $detail } is the handler's own English text, for entries that quote it.

## Sign-in and codes

error-login-failed = The e-mail address or password is wrong, or the account cannot sign in right now. Try again later, or reset your password.
error-code-rejected = That code is not right. Attempts left: { $attempts }.
error-code-expired = That code has expired or was used up. Start again to get a new one.
error-not-signed-in = Sign in first.
error-step-up-required = For this, first confirm it is you with a second factor given for this action.
error-enrolment-required = Set up an authenticator app first.
error-too-many-attempts = Too many attempts. Try again later.
error-forbidden = You may not do this.
error-csrf-failed = Reload the page and try again.
error-factor-invalid = Choose an authenticator app, SMS, recovery code or passkey.
error-two-factors-required = Give exactly two different second factors (a code sent by e-mail does not count).
error-channel-not-allowed = A code by e-mail is only sent to lock an account, or as the extra proof a sign-in asked for.
error-session-not-found = No such session.
error-device-not-found = No such device.
error-cancel-key-invalid = Please check the cancel key from the unlock notice.
error-role-invalid = Please check the role.
error-merchant-invalid = Please check the merchant reference.

## The form

error-invalid = Please check the form: { $detail }.
error-email-invalid = Please check the form: enter a valid e-mail address.
error-phone-invalid = Please check the form: enter a mobile number with its country code, like +81 90 1234 5678.
error-legal-name-invalid = Please check the form: enter your legal name (1 to 100 characters).
error-date-of-birth-invalid = Please check the form: enter your real date of birth as YYYY-MM-DD.

## Passwords

error-password-too-short = Please choose another password: use at least { $min } characters.
error-password-too-long = Please choose another password: use at most { $max } characters.
error-password-common = Please choose another password: this is one of the most common passwords; attackers try these first.
error-password-personal = Please choose another password: it contains your name, e-mail, phone number, birth date or the service's name.
error-password-guessable = Please choose another password: it is too easy to guess. A few unrelated words make a strong passphrase.
error-password-breached = Please choose another password: it appears in known data breaches, so attackers already try it.

## Conflicts with the account's state

error-conflict = That cannot be done now: { $detail }.
error-conflict-email-taken = An account with this e-mail address already exists. Sign in, or reset your password.
error-conflict-totp-exists = An authenticator app is already set up. Remove it first.
error-conflict-no-totp = No authenticator app is set up.
error-conflict-keep-a-factor = Staff and operators must keep a second factor: add a passkey first.
error-conflict-totp-not-started = Start adding an authenticator app first.
error-conflict-not-locked = That account is not locked.
error-conflict-address-taken = That address belongs to another account.
error-conflict-no-passkey = This account has no passkey.
error-conflict-no-phone = This account has no phone.
error-conflict-no-such-account = No such account.

## The service

error-overloaded = The service is busy. Try again in a moment.
error-service-unavailable = The service is unavailable right now. Try again in a moment.
error-internal-error = Something went wrong on our side. Please try again.
error-not-ready = The service is not ready: { $detail }
error-resource-missing = No such resource.
error-method-not-allowed = This endpoint does not accept that HTTP method.
error-payload-too-large = The request body is larger than this server accepts.
error-unsupported-media-type = Send the request body as application/json.
error-bad-request = The request could not be understood.
error-body-not-json = The request body is not valid JSON.
error-body-invalid = The request body is not right: { $detail }
error-query-invalid = The query string is not right: { $detail }
error-limit-invalid = limit must be between 1 and { $max }.
error-channel-invalid = channel must be email, sms or in_app.
error-message-invalid = The message is not right: { $detail }
error-idempotency-key-invalid = Idempotency-Key must be 1 to 255 visible ASCII characters.
error-idempotency-key-reused = This Idempotency-Key was already used with a different request. Use a new key for a new request.
error-idempotency-request-in-progress = A request with this Idempotency-Key is still being processed. Retry shortly.
error-idempotency-secret-not-replayed = The first answer carried a secret that is shown once, so it is not replayed. Start this step over with a new Idempotency-Key.
error-nul-byte = The request contains a NUL character, which is not allowed.

## Merchants

error-merchant-not-active = This merchant is not active: nothing can be changed until Anshin makes it active.
error-legal-name-kana-invalid = Please check the form: enter the legal name in katakana, as the bank knows it.
error-mcc-invalid = Please check the form: the merchant category code is four digits, for example 5812.
error-fee-rate-invalid = Please check the form: the fee rate is 0 to 1000 basis points.
error-reason-invalid = Please check the form: give a reason of 1 to 500 characters.
error-name-invalid = Please check the form: enter the store name (1 to 100 characters).
error-postal-code-invalid = Please check the form: the postal code is seven digits, for example 150-0002.
error-address-invalid = Please check the form: enter the address (1 to 200 characters).
error-label-invalid = Please check the form: enter a name for the key (1 to 100 characters).
error-store-invalid = Please choose one of this merchant's stores.
error-url-invalid = Please check the webhook URL: it must start with https:// and a public host name, without a user name, password or fragment.
error-bank-code-invalid = Please check the form: no bank has this code.
error-branch-code-invalid = Please check the form: this bank has no branch with this code.
error-account-type-invalid = Please choose ordinary, current or savings.
error-account-number-invalid = Please check the form: the account number is seven digits.
error-holder-name-invalid = Please check the form: write the holder name in katakana, as in the bank book.
error-conflict-not-awaiting-review = This merchant is not awaiting review: another admin may have decided already.
error-conflict-not-active = Only an active merchant can be suspended.
error-conflict-not-suspended = Only a suspended merchant can be reactivated.
error-conflict-store-limit = This merchant has as many stores as it may have.
error-conflict-pos-key-limit = This merchant has as many live POS keys as it may have. Revoke one it no longer uses.
error-conflict-webhook-limit = This merchant has as many webhook endpoints as it may have. Disable one it no longer uses.
error-conflict-no-payout-change = No payout account change is waiting.
error-conflict-payout-not-awaiting-review = This payout account is not awaiting review.

error-bank-unavailable = The bank cannot be reached now (or this server has no bank configured); try again later.
error-bank-account-not-found = The bank has no such account: check the bank, branch, type and number.
error-bank-account-closed = The bank says this account is closed.
error-bank-account-not-linked = This bank account cannot be used yet: it is waiting for review, or was rejected or unlinked.
error-bank-account-invalid = Please check the bank account: a 4-digit bank code, a 3-digit branch code that exists, and a 7-digit number.
error-over-top-up-limit = Declined: the amount is over the limit for one top-up.
error-over-holding-cap = Declined: the wallet would hold more than its cap.
error-over-daily-limit = Declined: that is over today's top-up limit.
error-cooling-off = Declined: a contact change or password reset is cooling off; top up once it has ended.
error-too-many-streams = Too many live feeds are open for this session: close another page first.
error-last-event-id-invalid = Last-Event-ID must be an event number.
error-after-invalid = after must be an event number (0 or more).
## Scanning a store's code (merchant-presented payments)

error-qr-unreadable = This is not a payment code Anshin can read. Ask the cashier to show the code again, or type in its text.
error-qr-foreign = This code belongs to another payment service, not Anshin. Pay with that service's app, or ask the cashier for the shop's Anshin code.
error-qr-unsigned = This code is not signed by Anshin, so it may not be the shop's real code. Do not pay with it: ask the cashier for the code at the till.
error-qr-forged = This code was not issued by Anshin: it may be a sticker stuck over the shop's code. Do not pay with it, and tell the cashier.
error-qr-retired = This code is no longer valid. Ask the shop for its current code.
error-qr-expired = This code has expired. Ask the cashier to show a new one.
error-qr-used = This code was already used for a payment. Ask the cashier to show a new one.
error-qr-canceled = The shop canceled this sale. Ask the cashier to show a new code.
error-merchant-suspended = This shop cannot take Anshin payments at the moment. Pay another way, or ask the shop.
error-store-closed = This store is not taking Anshin payments at the moment. Ask the cashier how else you can pay.
error-image-unreadable = That file is not a PNG picture we can read. Send a PNG photo of the code, or type in the code's text.
error-image-no-code = No QR code was found in the photo. Take it again closer to the code, straight on and in focus.
error-image-too-large = The photo is too large (1 MB at most). Send a smaller photo of the code.
error-card-declined = The card could not be used. Check the details, or use another card.
error-authentication-failed = The card issuer did not confirm that this is you.
error-authentication-unavailable = The card issuer could not confirm this now (3-D Secure was not completed). Try again later.
error-authentication-attempted-over-cap = This card's issuer does not take part in 3-D Secure: top up a smaller amount.
error-over-monthly-limit = Declined: that is over this month's card top-up limit.
error-card-network-unavailable = The card network cannot be reached now (or this server has none configured); try again later.
error-card-number-invalid = Please check the card number: 12 to 19 digits.
error-security-code-invalid = Please check the security code: 3 digits (4 on American Express).
error-expiry-invalid = Please check the expiry date: a month from 1 to 12 and a year.
error-conflict-card-limit = A wallet holds at most five cards: remove one first.
error-conflict-card-unavailable = This card cannot be added to this wallet.
error-conflict-card-not-active = This card cannot be used yet: it is waiting for the card issuer, or it failed or was removed.
error-as-of-invalid = Please check the date: a day (YYYY-MM-DD) that has begun.

## Identity verification (eKYC)

error-identity-not-verified = Verify your identity first: sending money and withdrawing need a verified identity.
error-ekyc-unavailable = The identity checker cannot be reached now (or this server has none configured); try again later.
error-document-type-invalid = Please choose a driver's licence, a My Number card or a residence card.
error-document-number-invalid = Please check the document number: 4 to 20 letters and digits, as on the document.
error-kana-invalid = Please write the name in katakana, as on the document.
error-selfie-invalid = The selfie's digest is 64 lowercase hex digits.
error-status-invalid = status must be review, pending, verified or rejected.
error-conflict-already-verified = Your identity is already verified.
error-conflict-verification-in-progress = An identity verification is already in progress: wait for its result.
error-conflict-too-many-verifications = There have been too many identity verification attempts on this account. Please contact support.
error-conflict-verification-not-in-review = This identity verification is not awaiting review: another operator may have decided already.
error-conflict-user-already-verified = This user's identity is already verified.

# Transfers and withdrawals
error-insufficient-money = Declined: the money balance is not enough (lite and points cannot be sent or withdrawn).
error-over-transfer-limit = Declined: the amount is over the limit for one transfer.
error-over-daily-transfer-limit = Declined: that is over today's transfer limit.
error-over-monthly-transfer-limit = Declined: that is over this month's transfer limit.
error-payee-over-holding-cap = Declined: the payee's wallet would hold more than its cap.
error-money-out-cooling-off = Declined: a contact change or password reset is cooling off; money can leave the wallet once it has ended.
error-own-wallet = Declined: that is your own wallet.
error-account-not-active = Declined: this account cannot send money now.
error-too-many-payee-lookups = Too many payee lookups this hour; try again later.
error-no-such-payee = No wallet that can receive money has that address, or the confirmation has expired: look the payee up again.
error-payee-contact-invalid = Give the payee's e-mail address or phone number, one of the two.
error-note-invalid = The note is not right: { $detail }
error-conflict-money-request-closed = This request for money is no longer open: it was paid, canceled or has expired.
error-conflict-too-many-money-requests = Too many requests for money are open; cancel one first.
error-conflict-withdrawal-not-in-review = This withdrawal is not awaiting review: another operator may have decided already.
error-form-invalid = The form could not be read: { $detail }
error-conflict-money-request-amount = This request is for another amount than the one shown: open it again.
## vcard (issue 8 item 8)
error-per-transaction-limit-invalid = The limit per purchase is a whole number of yen from 1 to 1,000,000.
error-conflict-virtual-card-exists = This wallet already has a virtual card.
error-conflict-virtual-card-changed = The card changed meanwhile. Reload the page and try again.
error-conflict-virtual-card-no-number = No free card number was found. Try again.
error-categories-invalid = Choose each kind of shop at most once.
