# Anshin: the text of the web pages, in English.
# Every entry here has a twin in ja/pages.ftl with the same id and the same { $placeholders }.

## Every page

layout-skip = Skip to the main content
layout-language = Language
layout-home = Anshin home

## Shared words

common-continue = Continue
common-confirm = Confirm
common-code = Code
common-email = E-mail address
common-password = Password
common-new-password = New password
common-second-factor = Second factor
common-send-sms = Send me a code by SMS
common-send-email = Send me a code by e-mail
common-email-sent = We sent a code to your e-mail address.
common-sms-sent = We sent a code to your phone.
common-back-to-security = Back to account security
common-sign-in = Sign in
common-sign-in-again = Sign in again
common-back = Back

## Names of second factors

factor-totp = Authenticator app
factor-sms = SMS code
factor-recovery-code = Recovery code
factor-passkey = Passkey
factor-email = Code sent to your e-mail

## Problem pages: what happened, then what to do

problem-csrf-title = Please try again
problem-csrf = This form expired or did not come from this site. Reload the page and send it again.
problem-not-found-title = Not found
problem-not-found = No such page.
problem-signed-out-title = Please sign in
problem-signed-out = Your session has ended. Sign in again.
problem-internal-title = Something went wrong
problem-internal = Please try again.
problem-factor-first-title = Set up a second factor first
problem-factor-first = Add an authenticator app on the account security page.
problem-not-changed-title = That was not changed
problem-step-up-hint = Use the “Confirm it is you” link next to it on the account security page first: the confirmation is for that one change.
problem-failed-title = That did not work
problem-codes-title = Those codes did not work
problem-code-title = That code did not work
problem-totp-title = Cannot add an app now
problem-operators-title = Operators only
problem-operators = This console is for Anshin operators.
problem-merchants-title = Merchant staff only
problem-merchants = This portal is for merchant staff.
problem-link-retry = Go back and try again
problem-link-home = Go to the start page

## Start page

index-title = Welcome to Anshin
index-intro = A cashless payment service whose security is built in from the first commit.
index-register = Create a wallet
index-sign-in = Sign in
index-sign-in-note = (wallet, merchant portal, ops console)
index-health = Health
index-openapi = API description (OpenAPI)
index-dev-mailbox = Dev mailbox: messages the service has sent

## Dev mailbox (development only)

mailbox-title = Dev mailbox
mailbox-intro = Every e-mail and SMS the service sent while no mail server is configured. Newest first.
mailbox-empty = No messages yet.
mailbox-to = To
mailbox-channel = By
mailbox-id = Message

## Registration

register-title = Create your wallet
register-intro = We confirm both your e-mail address and your mobile number before your wallet can hold money.
register-phone = Mobile number
register-phone-hint = With the country code, for example +81 90 1234 5678.
register-legal-name = Legal name (as on your ID)
register-date-of-birth = Date of birth
register-password = Password (at least 8 characters; a passphrase is best)
register-submit = Create wallet
register-sent-title = Check your e-mail and phone
register-sent-intro = We sent a 6-digit code to each of these. { $minutes ->
    [one] They are valid for 1 minute.
   *[other] They are valid for { $minutes } minutes.
  }
register-sent-email = E-mail:
register-sent-phone = SMS:
register-email-code = Code from the e-mail
register-sms-code = Code from the SMS

## Account security

security-title = Account security
security-signed-in-as = Signed in as
security-sessions-link = Signed-in devices
security-lock-link = Lost your phone? Lock your account
security-factors = Second factors
security-add-totp-why = Add an authenticator app: it works without signal and cannot be intercepted like an SMS.
security-add-totp = Add an authenticator app
security-remove-totp = Remove the authenticator app (signs out everywhere)
security-passkey-why = A passkey (your phone's or computer's lock) is the strongest second factor: it cannot be phished.
security-add-passkey = Add a passkey
security-step-up-why = Changing your password, e-mail, phone or factors needs a second factor given for that one change, a few minutes before. Adding a factor more than a few minutes after signing in needs one too:
security-step-up-add-factor = confirm it is you to add a factor
security-step-up-remove-factor = Confirm it is you to remove a factor
security-step-up-change-password = Confirm it is you to change your password
security-step-up-change-contact = Confirm it is you to change your e-mail address or phone
security-password = Password
security-current-password = Current password
security-change-password = Change password (signs out everywhere)
security-contact = E-mail and phone
security-contact-why = After a change, money cannot leave your wallet for 72 hours, and the old contact is told.
security-contact-which = Which
security-contact-value = New e-mail address or mobile number
security-contact-submit = Send a code to the new contact

## Passkey button messages (shown by the page script)

passkey-waiting = Follow the prompt on your device…
passkey-cancelled = The passkey request was cancelled or timed out. Try again, or use another second factor.
passkey-unsupported = This browser cannot use passkeys. Use another second factor.
passkey-failed = The passkey did not work:

## Authenticator app

totp-title = Add an authenticator app
totp-intro = Scan this code with your authenticator app, or type the key below into it.
totp-qr-label = QR code for your authenticator app
totp-key = Key:
totp-code = The 6-digit code your app shows now
totp-done-title = Your authenticator app is set up
totp-recovery-intro = Keep these recovery codes somewhere safe, away from your phone. Each works once, if you lose the app.
totp-removed-title = Authenticator app removed
totp-removed = The app was removed and every session was signed out.

## The second-factor step (sign-in, lock, step-up)

factor-title = Confirm it is you
factor-intro = Enter a code from your authenticator app, from an SMS, or one of your recovery codes.
factor-use-passkey = Use a passkey

## Password and contact changes

password-changed-title = Password changed
password-changed = Your password was changed and every session was signed out.
contact-confirm-title = Confirm the new contact
contact-sent-to = We sent a code to:
contact-old-told = Your current contact was told about the change.
contact-changed-title = Contact changed
contact-changed = Your contact was changed. For 72 hours money cannot leave your wallet; both contacts were told.

## Sign-in

login-title = Sign in
login-intro = Wallet users, merchant staff and operators all sign in here.
login-try-again = Try again.
login-register = Create a wallet
login-forgot = Forgot your password?
login-unlock = Unlock your account

## Signed-in devices

sessions-title = Signed-in devices
sessions-intro = These are the sessions open on your account. End any you do not recognise, then change your password.
sessions-entry = { $agent } from { $ip }
sessions-last-seen = last used { $time }
sessions-this-device = (this device)
sessions-end = Sign this session out
sessions-sign-out = Sign out

## Lost phone: lock and unlock

lock-title = Lock your account
lock-intro = Lost your phone? Lock your account from here: every session ends and no one can sign in or pay until it is unlocked.
locked-title = Your account is locked
locked = Your account is locked. Every session was signed out, and every password reset, contact change and unlock in progress was cancelled; no one can sign in or pay. To unlock it you need your password and two of your second factors (or our support team), and the unlock then waits 24 hours, during which we tell you and you can cancel it.
unlock-title = Unlock your account
unlock-intro = To unlock, give your password and then two different second factors (or contact support).
unlock-factors-title = Two second factors
unlock-factors-intro = Give two different second factors.
unlock-factor = Factor { $n }
unlock-code = Code { $n }
unlock-submit = Unlock
unlocked-title = Your account will be unlocked
unlocked = Your account stays locked for about { $hours ->
    [one] 1 more hour
   *[other] { $hours } more hours
  }, then unlocks. We told you on every contact; if it was not you, cancel it with the key in that message, or lock the account again.
unlock-cancel-link = Cancel an unlock
unlock-cancel-title = Cancel an unlock
unlock-cancel-intro = Someone asked to unlock your account and it was not you? Paste the cancel key from the message we sent you.
unlock-cancel-key = Cancel key
unlock-cancel-submit = Cancel the unlock
unlock-cancelled-title = Unlock cancelled
unlock-cancelled = If that key belonged to a pending unlock, it is cancelled and the account stays locked. We told the owner.

## Ops console and merchant portal

ops-title = Ops console
ops-signed-in-role = Signed in as an operator. Role:
ops-audit = Audit chain
ops-audit-ok = Intact: { $count ->
    [one] 1 record verified.
   *[other] { $count } records verified.
  }
ops-audit-broken = BROKEN: { $count ->
    [one] 1 problem.
   *[other] { $count } problems.
  } Run anshin admin verify-audit.
ops-takeover = Suspected takeover
ops-user-id = User id (usr_…)
ops-revoke-all = End every session of this user
ops-revoked-title = Sessions ended
ops-revoked = { $count ->
    [one] 1 session ended.
   *[other] { $count } sessions ended.
  }
merchant-title = Merchant portal
merchant-signed-in-role = Signed in. Role:
merchant-security = Account security

## Password reset

reset-title = Reset your password
reset-intro = We send a reset key to the e-mail address already confirmed on your account, never to another one. You will also need your phone, authenticator app or a recovery code.
reset-email = E-mail address of your account
reset-request = Send the reset key
reset-new-title = Choose a new password
reset-token = Reset key from the e-mail
reset-submit = Set the new password
reset-sms-label = Need an SMS code? Paste the key and ask for one:
reset-sent = If that address has an account, we sent it a reset key. { $minutes ->
    [one] It is valid for 1 minute.
   *[other] It is valid for { $minutes } minutes.
  }
reset-done-title = Your password was changed
reset-done = Your password was changed and every session was signed out. You will still need your second factor to sign in.

## Registration done: recovery codes

registered-title = Your wallet is ready
registered-confirmed = Both your e-mail address and your phone are confirmed.
registered-codes-heading = Keep these recovery codes
registered-codes-why = Write them down or print them, and keep them away from your phone. If your phone is lost or stolen, your password and one of these codes lock your account from any device. Each code works once. We will not show them again.
registered-continue = I have kept them: continue

## Extra proof and step-up for one change

factor-email-proof-why = Many failed sign-ins came from your network, so we also need the code we send to your e-mail address.
factor-email-code = Code from the e-mail
step-up-for-change-password = To change your password, confirm it is you with a second factor.
step-up-for-change-contact = To change your e-mail address or phone, confirm it is you with a second factor.
step-up-for-add-factor = To add a second factor, confirm it is you with a second factor you already have.
step-up-for-remove-factor = To remove a second factor, confirm it is you with a second factor.
step-up-for-revoke-device = To remove a device, confirm it is you with a second factor.
step-up-for-unlock-user = To unlock a user's account, confirm it is you with a second factor.
step-up-once = The confirmation is good for this one change, for a few minutes.
step-up-continue = Continue
problem-step-up-action-title = Nothing to confirm
problem-step-up-action = That is not a change that needs confirming. Go back to the account security page.

## Ops console: audit chain checks

ops-audit-none = Not verified yet.
ops-audit-checked-at = Last verified:
ops-audit-verify = Verify the whole chain now
ops-audit-verified-title = Audit chain verified
ops-audit-broken-detail = The chain is BROKEN:
step-up-for-add-staff = To add a member of staff, confirm it is you with a second factor.
step-up-for-create-pos-key = To create a POS key, confirm it is you with a second factor.
step-up-for-manage-webhooks = To add a webhook endpoint or rotate its secret, confirm it is you with a second factor.
step-up-for-change-payout-account = To set the payout account, confirm it is you with a second factor.
step-up-for-link-bank-account = To link a bank account, confirm it is you with a second factor.
step-up-for-verify-identity = To send an identity document for verification, confirm it is you with a second factor.
step-up-for-send-money = To send this much money, confirm it is you with a second factor.
step-up-for-withdraw = To withdraw money to a bank account, confirm it is you with a second factor.
step-up-for-refund = To refund a payment, confirm it is you with a second factor.
step-up-for-confirm-payment = To pay this amount, confirm it is you with a second factor.

## Merchant portal

merchant-legal-name = Legal name
merchant-number = Merchant number
merchant-status = Status
merchant-your-role = Your role
merchant-status-pending-review = Awaiting review
merchant-status-active = Active
merchant-status-suspended = Suspended
merchant-status-rejected = Rejected
merchant-pending-note = Anshin is reviewing this merchant. You can set up stores, staff and keys now; payments start once it is approved.
merchant-inactive-note = This merchant takes no payments and nothing can be changed until Anshin makes it active again.
merchant-reason = Reason: { $reason }
merchant-step-up-done = Confirmed. Now make the change: the confirmation is good for that one change, for a few minutes.
merchant-needs-step-up = You will be asked to confirm it is you with a second factor.
merchant-back = Back to the merchant portal
merchant-shown-once = It is shown only this once.
merchant-created-at = Created { $time }
staff-role-owner = Owner
staff-role-manager = Manager
staff-role-cashier = Cashier
staff-status-active = Active
staff-status-locked = Locked

## Merchant portal: stores and staff

merchant-stores = Stores
merchant-stores-none = No stores yet.
merchant-store-number = Store { $number }
store-status-open = Open
store-status-closed = Closed
merchant-store-close = Close this store
merchant-store-reopen = Reopen this store
merchant-store-add = Add a store
merchant-store-name = Store name (shown to customers before they pay)
merchant-store-postal-code = Postal code
merchant-store-postal-hint = Seven digits, for example 150-0002.
merchant-store-address = Address
merchant-staff = Staff
merchant-staff-add = Add a member of staff
merchant-staff-name = Legal name
merchant-staff-role = Role
merchant-staff-added-title = Staff member added
merchant-staff-added = { $name } ({ $email }) can now sign in with this initial password:
merchant-staff-hand-over = Hand this password over in person, never by e-mail or chat. At the first sign-in they must set up an authenticator app.

## Merchant portal: POS keys and webhooks

merchant-pos-keys = POS keys
merchant-pos-keys-intro = A POS key lets the tills of one store take payments. Revoke a key at once if a till is lost or the key may have leaked.
merchant-pos-key-revoked = Revoked { $time }
merchant-pos-key-revoke = Revoke this key
merchant-pos-key-needs-store = Each POS key belongs to an open store: add or reopen a store first.
merchant-pos-key-create = Create a POS key
merchant-pos-key-store = Store
merchant-pos-key-label = Name for people
merchant-pos-key-label-hint = For example “Till 2”.
merchant-pos-key-created-title = POS key created
merchant-pos-key-created = The POS key “{ $label }” ({ $id }) is ready. Its secret:
merchant-pos-key-keep = Enter it into the till now and keep it nowhere else.
merchant-webhooks = Webhooks
merchant-webhooks-intro = We send payment events to these addresses, signed with each endpoint's secret.
merchant-webhook-version = Secret version { $count }
merchant-webhook-rotate = Rotate the secret
merchant-webhook-disable = Stop sending here
merchant-webhook-disabled = Disabled
merchant-webhook-add = Add an endpoint
merchant-webhook-url = Endpoint URL
merchant-webhook-url-hint = https:// on a public host name.
merchant-webhook-secret-title = Webhook signing secret
merchant-webhook-added = Events now go to { $url }. The endpoint's signing secret:
merchant-webhook-rotated = A new signing secret for { $url }. The old one keeps working for { $hours } hours, so your receiver can switch without missing an event:
merchant-webhook-keep = Put it into your receiver's configuration now.

## Merchant portal: payout account

payout-title = Payout account
payout-none = No payout account yet: payouts wait until one is set.
payout-bank = Bank
payout-branch = Branch
payout-account = Account
payout-ending = ending { $digits }
payout-holder = Account holder
payout-name-check = Name check
payout-type-ordinary = Ordinary
payout-type-current = Current
payout-type-savings = Savings
payout-name-check-exact = Matches the legal name
payout-name-check-review = Anshin is checking that the holder is this merchant; payouts wait until then
payout-name-check-approved = Checked and approved by Anshin
payout-name-check-rejected = Refused by Anshin: set another account
payout-pending = Payouts move to this account at { $time }:
payout-pending-not-you = If you did not ask for this change, cancel it now and call us.
payout-cancel = Cancel this change
payout-set = Set the payout account
payout-set-why = Every owner is told by e-mail at once. A change of an existing account takes effect { $hours } hours later, so it can be stopped if it was not you.
payout-bank-code = Bank code (4 digits)
payout-branch-code = Branch code (3 digits)
payout-account-type = Account type
payout-account-number = Account number (7 digits)
payout-holder-hint = In katakana, as in the bank book. Unless it matches the merchant's legal name in kana, Anshin checks it before any payout goes there.
payout-changed-title = Payout account set
payout-changed-now = Payouts now go to this account. Every owner was told by e-mail.
payout-changed-later = Payouts move to this account at { $time }. Every owner was told by e-mail and can cancel the change until then.

## Ops console: merchants

ops-merchants-title = Merchants
ops-merchants-link = Review and manage merchants
ops-merchants-read-only = Only admins approve, reject, suspend or reactivate merchants: you see the lists.
ops-merchants-none = None.
ops-merchants-newest-only = Only the newest 50 are shown here.
ops-merchants-back = Back to the merchants
ops-merchant-facts = No. { $number } · MCC { $mcc } · fee { $rate }
ops-merchant-proposed-at = Proposed { $time }
ops-merchant-reason = Reason (kept in the audit log)
ops-merchant-reason-told = Reason (kept in the audit log and told to the merchant)
ops-merchant-approve = Approve
ops-merchant-reject = Reject
ops-merchant-suspend = Suspend this merchant
ops-merchant-reactivate = Reactivate this merchant
ops-merchant-propose = Propose a merchant
ops-merchant-propose-why = Another admin reviews the proposal; the merchant takes payments only once it is approved.
ops-merchant-legal-name = Legal name (as registered)
ops-merchant-kana = Legal name in katakana
ops-merchant-kana-hint = As the bank knows it, for example カブシキガイシャアンシン.
ops-merchant-mcc = Merchant category code (MCC)
ops-merchant-mcc-hint = Four digits (ISO 18245), for example 5812 for restaurants.
ops-merchant-contact = Contact e-mail address
ops-merchant-fee = Fee rate (basis points)
ops-merchant-fee-hint = 260 is 2.6%; at most 1000 (10%).
ops-merchant-proposed-title = Merchant proposed
ops-merchant-proposed = { $name } (number { $number }) awaits review by another admin.
ops-merchant-id = Merchant id:
ops-merchant-reviewed-title = Merchant reviewed
ops-merchant-approved = { $name } is approved and active.
ops-merchant-rejected = { $name } is rejected.
ops-merchant-review-who = A merchant is reviewed by an admin other than the operator who proposed it.
ops-merchant-status-changed-title = Merchant status changed
ops-merchant-suspended = { $name } is suspended: it takes no payments until it is reactivated. Its contact was told.
ops-merchant-reactivated = { $name } is active again. Its contact was told.
ops-decision-invalid = Choose approve or reject.
ops-payout-reviews = Payout accounts to check
ops-payout-reviews-why = The holder name of these accounts does not match the merchant's legal name in kana: payouts wait until an admin approves.
ops-payout-reviews-none = None waiting.
ops-payout-legal-name = Legal name:
ops-payout-approve = Approve this account
ops-payout-reject = Refuse this account
ops-payout-reviewed-title = Payout account checked
ops-payout-approved = Payouts may go to this account.
ops-payout-rejected = Refused: no payout goes to this account. The merchant must set another.

settlement-title = Settlements and payouts
settlement-ops-title = Settlements of a day
settlement-explained = Each business day, your payments less refunds, the fee at your rate (rounded down per payment) and 10% consumption tax on the day's fees (rounded down once) are paid to your payout account. A day whose net is zero or less carries over to the next.
settlement-none = No settlements yet.
settlement-day = Business day
settlement-merchant = Merchant
settlement-payments = Payments
settlement-gross = Gross
settlement-refunds = Refunds
settlement-fee = Fee
settlement-tax = Tax on the fee
settlement-net = Net
settlement-status = Settlement
settlement-payout = Payout
settlement-status-settled = Settled
settlement-status-carried_over = Carried over
settlement-payout-held = Held
settlement-payout-sent = Sent to the bank
settlement-payout-paid = Paid
settlement-payout-returned = Returned by the bank
settlement-show = Show
settlement-run = Settle this day and send its payouts
settlement-day-not-over = This business day is not over yet: it can be settled once its cut-off has passed.
settlement-bank-unavailable = The bank could not be reached or refused the file. The settlement is kept; run it again later.
settlement-day-invalid = The day is written YYYY-MM-DD.
settlement-link = Daily settlements
## Wallet: balances, payments and the one-time code

wallet-only-title = Wallet accounts only
wallet-only = These pages are for wallet accounts. Merchant staff and operators have no wallet.
wallet-title = Your wallet
wallet-balances = Balances
wallet-balance-total = Total
wallet-balance-money = Money
wallet-balance-lite = Lite (prepaid)
wallet-balance-points = Points
wallet-balances-order = A payment spends points first, then lite, then money.
wallet-pay-link = Pay at a till (show your code)
wallet-scan-link = Pay by scanning a shop's code
wallet-funding-link = Bank accounts and top-ups
wallet-history = Your payments
wallet-history-empty = No payments yet.
wallet-history-older = Older payments
wallet-back = Back to your wallet
wallet-awaiting-title = Payments waiting for you
wallet-step-up-done = Confirmed it is you. Now confirm the payment.
wallet-payment-title = Payment
wallet-payment-missing = There is no such payment in your wallet.
wallet-confirmation-code = Confirmation number:
wallet-confirmation-why = Show this to the cashier: their screen shows the same number for this payment.
wallet-merchant = Merchant
wallet-store = Store
wallet-amount = Amount
wallet-refunded = Refunded
wallet-status = Status
wallet-time = Time
wallet-status-succeeded = Paid
wallet-status-requires-confirmation = Waiting for your confirmation
wallet-status-held = Being checked
wallet-status-pending = Pending
wallet-status-failed = Failed
wallet-status-canceled = Canceled
wallet-status-voided = Voided: the money is back in your wallet
wallet-status-refunded = Refunded
wallet-status-partially-refunded = Partly refunded
wallet-confirm-why = This payment needs your confirmation before the merchant is paid. Check the merchant and the amount.
wallet-confirm = Confirm the payment
wallet-cancel = Cancel the payment
wallet-confirmed-title = Payment confirmed
wallet-confirmed = The payment is made. Show the confirmation number to the cashier.
wallet-canceled-title = Payment canceled
wallet-canceled = The payment is canceled and the money is back in your wallet.
wallet-not-pending = This payment no longer waits for a decision: it was decided already, or it expired.
wallet-declined = The payment was declined.
wallet-declined-funds = Declined: your wallet does not hold enough.
wallet-declined-limit = Declined: the amount is over the limit for one payment.
wallet-not-accepting = This merchant or store cannot take payments now.
wallet-not-possible = That cannot be done with this payment.
wallet-pay-title = Pay with your code
wallet-pay-setup = Set up this browser to pay
wallet-pay-setup-why = To show payment codes, set up this browser once. Its key stays in this browser and cannot be copied out of it.
wallet-pay-working = Setting up…
wallet-pay-ready = Show this code to the cashier. It works once.
wallet-pay-dead = The code on this browser no longer works (you signed out, the account was locked, or another setup replaced it). Set up again to pay.
wallet-pay-unsupported = This browser cannot keep a payment key safely. Use a current browser.
wallet-pay-failed = Setting up did not work.
wallet-pay-countdown = A new code in { $seconds } s.
wallet-pay-qr-label = Payment code as a QR code
wallet-pay-digits = The same code as digits, for barcode tills:
wallet-pay-noscript = Showing a payment code needs JavaScript.
funding-title = Bank accounts and top-ups
funding-no-bank = Top-ups are not available on this server: no bank is connected.
funding-accounts = Your bank accounts
funding-accounts-none = No bank account is linked yet.
funding-link = Link a bank account
funding-link-why = The account must be in your own name: the bank tells us the holder's name and we compare it with your registered name. Another name waits for our review.
funding-link-step-up = First confirm it is you with a second factor
funding-bank-code = Bank code (4 digits)
funding-branch-code = Branch code (3 digits)
funding-account-type = Account type
funding-type-ordinary = Ordinary (普通)
funding-type-current = Current (当座)
funding-type-savings = Savings (貯蓄)
funding-account-number = Account number (7 digits)
funding-link-submit = Link the account
funding-unlink = Unlink
funding-top-up = Top up
funding-top-up-needs-account = Link a bank account first.
funding-top-up-from = From
funding-top-up-amount = Amount (yen)
funding-top-up-limits = At most { $amount } at a time. The money arrives once your bank confirms it.
funding-top-up-submit = Top up
funding-top-ups = Your top-ups
funding-top-ups-none = No top-ups yet.
funding-status-linked = Linked
funding-status-review = Waiting for review
funding-status-rejected = Rejected
funding-status-unlinked = Unlinked
funding-status-pending = Waiting for the bank
funding-status-credited = Added to your wallet
funding-status-failed = Refused by the bank
funding-status-over-cap = Kept aside (over the holding cap)
funding-ops-title = Funding
funding-ops-admins = Only admins decide on bank accounts and grant points.
funding-ops-reviews = Bank accounts waiting for review
funding-ops-reviews-why = The bank's holder name did not match the user's registered name. Approve only when you are sure the account is the user's own.
funding-ops-reviews-none = Nothing is waiting.
funding-ops-legal-name = Registered name:
funding-ops-approve = Approve
funding-ops-reject = Reject
funding-ops-points = Grant campaign points
funding-ops-points-why = At most { $amount } per grant. The same reference for the same user grants once.
funding-ops-user = User id
funding-ops-points-amount = Points
funding-ops-campaign = Campaign
funding-ops-reference = Reference
funding-ops-grant = Grant points
funding-ops-grants = Latest grants
merchant-payments-title = Payments
merchant-payments-status = Status
merchant-payments-store = Store
merchant-payments-any = Any
merchant-payments-from = From (day)
merchant-payments-to = To (day)
merchant-payments-filter = Show
merchant-payments-export = Export these payments as CSV
merchant-payments-live = Live: new payments appear at the top as Anshin records them.
merchant-payments-live-new = New payment, confirmation code:
merchant-payments-code = Confirmation code
merchant-payments-amount = Amount
merchant-payments-when = When
merchant-payments-none = No payments match.
merchant-payments-older = Older payments
merchant-payment-title = Payment
merchant-payments-refunded = Refunded so far
merchant-payments-id = Payment id
merchant-payments-terminal = Till
merchant-payments-reference = Your reference
merchant-payments-events = What happened
merchant-payments-refund = Refund
merchant-payments-refund-amount = Amount to refund (yen)
merchant-payments-refund-reason = Reason (optional)
merchant-payments-refund-invalid = Please check the amount (1 yen up to what is left to refund) and the reason (up to 200 characters).
merchant-payments-refund-too-much = That is more than this payment has left to refund.
merchant-payments-not-refundable = This payment cannot be refunded: it did not succeed, or it is already refunded in full.
merchant-payments-refund-failed = The refund could not be made now. Please try again in a moment.
merchant-payments-status-name = { $status ->
    [succeeded] Succeeded
    [held] Held for review
    [requires_confirmation] Awaiting the customer's confirmation
    [refunded] Refunded
    [partially_refunded] Partly refunded
    [canceled] Canceled
    [voided] Voided (returned to the customer)
   *[other] { $status }
}
## Pay by scanning a store's code

pay-scan-title = Pay by scanning
pay-scan-intro = Take a photo of the shop's Anshin code (PNG), or type in the code's text. You will see the shop's registered name before anything is paid.
pay-scan-photo = Photo of the code (PNG)
pay-scan-payload = Or the code's text
pay-scan-submit = Check the code
pay-scan-safety = Anshin checks that the code was issued by Anshin and shows the shop's registered name, never the name printed on the code.
pay-refused-title = This code cannot be paid
pay-refused = This payment cannot go ahead. Ask the cashier for help.
pay-declined = The payment was declined. Ask the cashier how else you can pay.
pay-declined-funds = Your wallet does not hold enough for this payment. Top up, or pay another way.
pay-declined-limit = The amount is over the limit for one payment.
pay-confirm-title = Check who you are paying
pay-confirm-check = Check that this is the shop you are at. If the name is not the shop in front of you, do not pay and tell the cashier.
pay-confirm-merchant = Merchant (registered name)
pay-confirm-store = Store
pay-confirm-amount = Amount
pay-confirm-enter-amount = Amount in yen
pay-confirm-pay = Pay
pay-confirm-cancel = Do not pay
pay-done-title = Paid
pay-held-title = Payment on hold
pay-done-paid = You paid { $amount }.
pay-held = The payment is on hold for a check; the shop will see it once it is released.
pay-done-code = Confirmation number:
pay-done-show = Show this number to the cashier: their screen shows the same one.
pay-done-again = Pay again
merchant-poster = QR poster:
merchant-poster-png = PNG
merchant-poster-svg = SVG
pay-scan-camera = Scan with the camera

## The till page
till-title = Till
till-link = Till: take a payment
till-store = Store
till-amount = Amount (yen)
till-no-store = No store is open: a manager can open one in the portal.
till-take-code = Take the customer's code
till-customer-code = The customer's code (scan it, or type the digits)
till-charge = Take the payment
till-show-code = Show a code for the customer to scan
till-show = Show the code
till-scan-this = Ask the customer to scan this code with the Anshin wallet. This page shows the outcome by itself.
till-qr-alt = The code for this sale
till-request-over = This code is no longer valid (it expired or was canceled). Make a new one.
till-again = Next sale
till-paid = Paid.
till-waiting-customer = Waiting for the customer to confirm in their wallet. Do not hand over the goods yet.
till-waiting-review = Being checked before it is paid. Do not hand over the goods yet.
till-not-paid = Not paid: the payment was canceled or not confirmed. Ask for another way to pay.
till-confirmation = Confirmation number
till-compare = The customer's screen must show { $code } too: a screen with another number, or none, is not a payment.
till-refused-title = The payment was not taken
till-code-expired = The customer's code has expired: ask them to show a new one.
till-code-used = The customer's code was already used: ask them to show a new one.
till-code-invalid = That is not a valid customer code: ask the customer to show it again.
till-declined = Declined: the wallet cannot pay this amount. Ask for another way to pay.
till-invalid = Enter an amount from 1 to 1,000,000 yen and the customer's code.
till-failed = The payment could not be taken. Try again.
threeds-challenge-title = Confirm with your card issuer
threeds-challenge-lead = Your card issuer wants to confirm that this is you. Continue to its page; you will come back here afterwards.
threeds-continue = Continue
threeds-result-title = Card check
threeds-card-active = The card was added to your wallet.
threeds-card-failed = Your card issuer did not confirm that this is you, so the card was not added.
threeds-top-up-credited = The top-up was added to your wallet's lite balance.
threeds-top-up-declined = The top-up was declined. Nothing was charged to your card.
threeds-pending = Your card issuer has not answered yet. Look at your wallet again in a moment.
threeds-back = Back to the wallet
cards-title = Cards
cards-list = Your cards
cards-none = No card yet.
cards-status-authenticating = Waiting for the card issuer
cards-status-active = Ready
cards-status-failed = Not added
cards-status-removed = Removed
cards-remove = Remove
cards-add = Add a card
cards-add-why = The card network checks the number, expiry and security code, then your card issuer confirms it is you (3-D Secure). The security code is used once and never kept. Only the last four digits are shown anywhere.
cards-number = Card number
cards-exp-month = Expiry month (MM)
cards-exp-year = Expiry year (YYYY)
cards-security-code = Security code
cards-add-submit = Add the card
cards-top-up = Top up from a card
cards-top-up-needs-card = Add a card first.
cards-top-up-from = Card
cards-top-up-amount = Amount (yen)
cards-top-up-limits = At most { $amount } at a time. A card top-up goes to your lite balance: you can pay with it in shops, but not send or withdraw it.
cards-top-up-submit = Top up
cards-top-ups = Card top-ups
cards-top-ups-none = No card top-up yet.
cards-top-up-status-authenticating = Waiting for the card issuer
cards-top-up-status-authorising = Charging the card
cards-top-up-status-credited = Added
cards-top-up-status-declined = Declined
wallet-cards-link = Cards (top up from a card)
reports-title = Regulatory report
reports-as-of = As of the end of (JST)
reports-show = Show
reports-why = Figures from the ledger's postings up to the end of that day in Japan. Prepaid (lite) balances are 前払式支払手段: on 31 March and 30 September, past ¥10,000,000 unused, at least half must be deposited. Money balances are held for fund-transfer customers and must be covered in full by the guarantee deposit.
reports-not-base-date = This day is not a statutory base date (31 March or 30 September).
reports-unused-prepaid = Unused prepaid (lite) balance
reports-prepaid-holders = Wallets holding lite balance
reports-deposit-required = Issuance security deposit owed
reports-transfer-money = Money held for fund-transfer customers
reports-guarantee-required = Guarantee deposit required
reports-points = Campaign points outstanding (for information)
kyc-review-title = Identity checks waiting for a person
kyc-review-why = Each check here did not pass by itself: the name or birth date differs from the registration, the provider could not read the document, or it never answered. Compare what the user registered, typed and the provider read; approve only what the document proves. The reason is kept in the audit log.
kyc-review-admins = Only admins decide; analysts may read.
kyc-review-none = Nothing is waiting.
kyc-review-registered = Registered as
kyc-review-submitted = Typed by the user
kyc-review-read = Read from the document
kyc-review-reason = Reason (kept in the audit log)
kyc-review-kana = Legal name in katakana, as the document shows it (approvals only)
kyc-review-approve = Approve
kyc-review-reject = Reject

# Transfers, requests for money and withdrawals
send-title = Send money
send-why = Money is sent from your money balance only (lite and points stay in your wallet). Both you and the payee need a verified identity.
send-contact = The payee's e-mail address or phone number
send-find = Find the payee
send-step-up-hint = Sending more than { $amount } at once needs a second factor.
send-step-up-first = Confirm it is you first
send-confirm-payee = Check that this is the person you mean:
send-amount = Amount (yen)
send-message = Message (optional)
send-submit = Send
send-someone-else = Send to someone else
transfers-title = Transfers and requests
transfers-list = Transfers
transfers-none = No transfers yet.
transfers-sent = To
transfers-received = From
requests-title = Request for money
requests-new = Ask for money
requests-why = Make a link (and QR code) that someone opens to pay you: they see your name and the amount, and pay it once.
requests-create = Create the request
requests-list = Your requests
requests-none = No requests yet.
requests-from = Requested by
requests-status = Status
requests-status-open = Open
requests-status-paid = Paid
requests-status-canceled = Canceled
requests-status-expired = Expired
requests-share = Share this link or let the payer scan the code:
requests-qr-label = QR code of the link to this request
requests-cancel = Cancel the request
requests-check = Check the name and the amount before you pay.
requests-pay = Pay { $amount }
withdraw-title = Withdraw
withdraw-why = Money goes only to a bank account in your own verified name. Each withdrawal needs a second factor; an account whose name is not exactly yours is checked by a person first.
withdraw-needs-account = Link a bank account in your own name first.
withdraw-step-up = Confirm it is you (needed for each withdrawal)
withdraw-to = To the account
withdraw-submit = Withdraw
withdraw-list = Withdrawals
withdraw-none = No withdrawals yet.
withdraw-status-review = Being checked
withdraw-status-queued = Queued
withdraw-status-sent = Sent to the bank
withdraw-status-paid = Paid
withdraw-status-returned = Returned (credited back)
withdraw-status-rejected = Not approved
withdraw-status-expired = Expired (not paid)
withdraw-review-title = Withdrawals to check
withdraw-review-why = The account holder's name is not exactly the verified name on the Zengin key. The money is held until you decide; approve only when the account is the user's own.
withdraw-review-none = No withdrawals are waiting.
withdraw-review-holder = Account holder:
withdraw-review-verified = Verified name:
withdraw-review-note = Note
withdraw-check-mismatch = The names differ.
withdraw-check-no-kana = The verified identity has no kana to compare with.
withdraw-check-exact = The names match.
wallet-send-link = Send money
wallet-transfers-link = Transfers and requests
wallet-withdraw-link = Withdraw
ops-withdrawals-link = Withdrawals to check
kyc-page-title = Verify your identity
kyc-page-verified = Your identity is verified: you can send money and withdraw.
kyc-page-unverified = Your identity is not verified yet. You can top up and pay in shops; to send money or withdraw, verify it with an identity document and a selfie.
kyc-page-attempt-pending = Your latest check is in progress.
kyc-page-attempt-review = Your latest check is with a person at Anshin.
kyc-page-attempt-rejected = Your latest check did not pass.
kyc-page-attempt-verified = Your latest check passed.
kyc-page-step-up = Confirm it is you first (needed to send a document)
kyc-page-document = Document
kyc-page-doc-drivers-license = Driver's licence
kyc-page-doc-my-number-card = My Number card
kyc-page-doc-residence-card = Residence card
kyc-page-number = Document number
kyc-page-name = Full name, as on the document
kyc-page-kana = Name in katakana, as on the document (if it shows one)
kyc-page-birth = Date of birth
kyc-page-address = Address
kyc-page-selfie = A photo of your face
kyc-page-submit = Send for verification
## vcard (issue 8 item 8): the wallet's virtual card
wallet-virtual-card-link = Virtual card (for online shops)
step-up-for-reveal-card = To see your virtual card's number, confirm it is you with a second factor.
vcard-title = Virtual card
vcard-why = A prepaid card number for online shops that spends your wallet: the lite balance, or the money balance when lite does not cover a purchase. Its number is shown only after a second factor, and hidden again after a minute. Freeze it when you are not shopping; replace it if the number may have leaked.
vcard-none = This wallet has no virtual card yet.
vcard-issue = Issue a virtual card
vcard-number = Number
vcard-brand = Brand
vcard-expiry = Expires
vcard-status = Status
vcard-limit = Limit per purchase (yen)
vcard-masked-soon = The number is hidden again in a minute. Do not write it down or share it.
vcard-status-active = Ready for online shops
vcard-status-frozen = Frozen: every purchase is declined
vcard-status-replaced = Replaced
vcard-reveal = Show the number
vcard-freeze = Freeze
vcard-unfreeze = Unfreeze
vcard-replace-why = Replacing gives the card a new number; the old number is declined from that moment.
vcard-replace = Replace the number
vcard-limits = Limits
vcard-blocked = Decline these kinds of shops
vcard-category-gambling = Betting and lotteries
vcard-category-quasi-cash = Money transfers, crypto and other cash-like purchases
vcard-category-digital-goods = Games, apps and digital media
vcard-category-travel = Airlines, hotels and travel agencies
vcard-category-adult = Adult content and dating
vcard-save-limits = Save limits
vcard-authorizations = Recent purchases
vcard-authorizations-none = No purchase yet.
vcard-auth-approved = Approved (amount held)
vcard-auth-declined = Declined
vcard-auth-settled = Paid
vcard-auth-reversed = Cancelled by the shop
vcard-auth-expired = Hold released
vcard-decline-insufficient-funds = not enough balance
vcard-decline-over-transaction-limit = over the limit per purchase
vcard-decline-cooling-off = a contact change or password reset is cooling off
vcard-decline-blocked-category = a kind of shop you blocked
vcard-decline-frozen = the card was frozen
vcard-decline-expired-card = the card has expired
vcard-decline-invalid-card = not this card's details (or an old number)
vcard-decline-currency = not in yen
