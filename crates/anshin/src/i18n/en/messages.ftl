# Anshin: e-mails and SMS, in English.
# An e-mail is two entries, `email-…-subject` and `email-…-body`; an SMS is one, `sms-…`.
# Security messages say what happened and what to do if it was not the reader.

## Registration

email-registration-code-subject = Your Anshin verification code
email-registration-code-body =
    Your code to confirm this e-mail address is { $code }. { $minutes ->
        [one] It is valid for 1 minute.
       *[other] It is valid for { $minutes } minutes.
    }
    If you did not just register at Anshin, ignore this message: without the code nothing happens.
email-registration-taken-subject = Someone tried to register this address at Anshin
email-registration-taken-body =
    Somebody tried to create a new Anshin account with this e-mail address, which already has an account.
    If it was you: sign in instead, or reset your password from the sign-in page.
    If it was not you: nothing has changed and you need not do anything. We never ask for your password by e-mail.
sms-registration-code = Anshin: your code to confirm this phone is { $code }. Do not share it with anyone.

## Sign-in, lock and unlock

sms-sign-in-code = Anshin code: { $code }. If you did not just ask for it, someone knows your password: change it now.
email-new-device-subject = New sign-in to your Anshin account
email-new-device-body =
    Your account was just signed in to from a device we had not seen before (address { $ip }).
    If this was you, nothing to do. If not: lock your account from the Anshin site, then reset your password.
email-locked-subject = Your Anshin account is locked
email-locked-body =
    Your account was locked: every session was signed out, pending password resets and contact changes were cancelled, and no one can sign in or pay with it.
    To unlock it you need your password and two of your second factors (or our support team); the unlock then waits 24 hours, during which we tell you and you can cancel it.
    If you did not lock it, someone has your password and a factor: contact support now.
sms-locked = Anshin: your account was locked and every session signed out. If this was not you, contact support now.
email-unlocked-subject = Your Anshin account was unlocked
email-unlocked-body =
    Your account is unlocked: the unlock asked for a day ago was not cancelled. You can sign in again.
    If you did not ask for it, lock your account again now and contact support.
sms-unlocked = Anshin: your account is unlocked. If you did not ask for it, lock it again now and contact support.

## Second factors

email-passkey-added-subject = A passkey was added to your Anshin account
email-passkey-added-body =
    A passkey was just added as a second factor.
    If this was not you: lock your account from the Anshin site now, then contact support.
email-totp-added-subject = An authenticator app was added to your Anshin account
email-totp-added-body =
    An authenticator app was just added as a second factor, and new recovery codes were made.
    If this was not you: lock your account from the Anshin site now, then contact support.
email-totp-removed-subject = An authenticator app was removed from your Anshin account
email-totp-removed-body =
    The authenticator app was removed as a second factor, and every session was signed out.
    If this was not you: lock your account from the Anshin site now and contact support.

## Passwords

email-reset-subject = Reset your Anshin password
email-reset-body =
    Someone (we hope you) asked to reset the password of your Anshin account.
    Your reset key is:

    { $token }

    { $minutes ->
        [one] It is valid for 1 minute
       *[other] It is valid for { $minutes } minutes
    } and also needs a code from your phone or authenticator app.
    If you did not ask for this, ignore this message: your password stays as it is.
sms-reset-code = Anshin password reset code: { $code }. If you did not ask to reset your password, do not share it; contact support.
email-password-changed-subject = Your Anshin password was changed
email-password-changed-body =
    The password of your Anshin account was just changed, and every session was signed out.
    If this was not you: lock your account from the Anshin site now and contact support.
sms-password-changed = Anshin: your password was changed. If this was not you, lock your account now and contact support.

## Contact changes ($channel is "email" or "phone")

email-contact-code-subject = Confirm your new contact for Anshin
email-contact-code-body = Anshin: your code to confirm this { $channel ->
        [email] e-mail address
       *[phone] phone number
    } is { $code }. If you did not ask for it, ignore this message.
sms-contact-code = Anshin: your code to confirm this phone number is { $code }. If you did not ask for it, ignore this message.
email-contact-changing-subject = Your Anshin contact details are being changed
email-contact-changing-body =
    Someone signed in to your account asked to change its { $channel ->
        [email] e-mail address
       *[phone] phone number
    }. Money cannot leave the wallet for 72 hours after such a change.
    If this was not you: lock your account from the Anshin site now and contact support.
email-contact-changed-subject = Your Anshin contact details were changed
email-old-address-changed-subject = Your Anshin e-mail address was changed
email-contact-changed-body =
    The { $channel ->
        [email] e-mail address
       *[phone] phone number
    } of your Anshin account was changed. For 72 hours money cannot leave the wallet.
    If this was not you: lock your account from the Anshin site now and contact support.
sms-contact-changed = Anshin: the { $channel ->
        [email] e-mail address
       *[phone] phone number
    } of your account was changed. If this was not you, lock your account now and contact support.

## More proof, and the lost-phone lock

email-sign-in-code-subject = Your Anshin sign-in code
email-sign-in-code-body =
    Your code to finish signing in is { $code }. We asked for it because many failed sign-ins came from the network you are using.
    If you are not signing in right now, someone knows your password: change it now. If this was not you: lock your account from the Anshin site now and contact support.
email-lock-code-subject = Your code to lock your Anshin account
email-lock-code-body =
    Your code to lock your account is { $code }. It only locks the account: it cannot sign anyone in.
    If you did not ask for it, someone knows your password: lock your account anyway, then contact support.
sms-lock-code = Anshin code to LOCK your account: { $code }. Do not share it.
email-password-known-subject = Someone knows your Anshin password
email-password-known-body =
    Someone gave the right password for your account from a device we do not know, but not the second factor, so they could not sign in.
    Change your password now (and anywhere else you use it). If this was not you: lock your account from the Anshin site now and contact support.
sms-password-known = Anshin: someone has your password but not your second factor. Change your password now.

## Unlocking waits, and can be cancelled

email-unlock-requested-subject = Your Anshin account will be unlocked
email-unlock-requested-body =
    Someone asked to unlock your account. It stays locked until { $at }.
    If this was not you, cancel the unlock with this key on the Anshin site (Unlock → Cancel an unlock):

    { $key }

    or lock the account again, which also cancels it. Then contact support.
sms-unlock-requested = Anshin: your account will be unlocked on { $at }. Not you? Cancel with the key we e-mailed, or lock it again.
email-unlock-cancelled-subject = The unlock of your Anshin account was cancelled
email-unlock-cancelled-body =
    The pending unlock was cancelled; the account stays locked.
    If you did not cancel it, contact support.
sms-unlock-cancelled = Anshin: the pending unlock was cancelled; your account stays locked.

## Devices

email-device-revoked-subject = A device was removed from your Anshin account
email-device-revoked-body =
    A device was removed from your account and its sessions were signed out.
    If this was not you: lock your account from the Anshin site now and contact support.

email-payment-made-subject = You paid { $amount } at { $store }
email-payment-made-body =
    You paid { $amount } with your Anshin wallet at { $store } ({ $merchant }).
    Confirmation number: { $code } (the shop's screen shows the same number).
    If this was not you, lock your account now from the sign-in page, then contact support.
email-merchant-suspended-subject = [Anshin] { $merchant } is suspended
email-merchant-suspended-body =
    { $merchant } can take no payments until further notice.
    Reason: { $reason }
    Contact Anshin's merchant support to resolve it.
email-merchant-reactivated-subject = [Anshin] { $merchant } can take payments again
email-merchant-reactivated-body =
    { $merchant } is active again and can take payments.
    Note: { $reason }
email-payout-account-set-subject = [Anshin] Payout account of { $merchant } set
email-payout-account-set-body =
    Payouts of { $merchant } now go to { $holder } (account ending { $last3 }).
    If you did not do this, contact Anshin's merchant support now.
email-payout-account-changing-subject = [Anshin] The payout account of { $merchant } is changing
email-payout-account-changing-body =
    The payout account of { $merchant } is changing to { $holder } (account ending { $last3 }).
    It takes effect at { $when }. Until then, payouts go to the current account.
    If you did not ask for this, cancel it in the merchant portal and contact Anshin's merchant support now.

email-refund-made-subject = Refund of { $amount } to your Anshin wallet
email-refund-made-body =
    { $amount } of your payment (confirmation number { $code }) was refunded to your Anshin wallet.
    If you did not expect this, contact support.

email-payout-returned-subject = [Anshin] A payout to { $merchant } came back
email-payout-returned-body =
    The bank returned a payout of { $amount } to { $merchant }'s account ending { $last3 } ({ $when }).
    The money is kept for you at Anshin. Check the payout account in the merchant portal and contact Anshin's merchant support.

email-payment-waiting-subject = Confirm your payment of { $amount } at { $store }
email-payment-waiting-body =
    A payment of { $amount } with your Anshin wallet at { $store } ({ $merchant }) is waiting.
    Confirmation number: { $code }. Until it is confirmed the shop is not paid, and if nobody confirms it in time your money comes back.
    If this was not you, do not confirm it: lock your account now from the sign-in page, then contact support.
email-payment-completed-subject = Your payment of { $amount } is complete
email-payment-completed-body =
    Your payment of { $amount } (confirmation number { $code }) is complete: the shop has been paid.
    If this was not you, lock your account now from the sign-in page, then contact support.
email-payment-returned-subject = Your payment of { $amount } was not made
email-payment-returned-body =
    Your payment of { $amount } (confirmation number { $code }) was canceled or not confirmed in time, and { $amount } is back in your Anshin wallet.
email-payment-held-subject = Your payment of { $amount } at { $store } is being checked
email-payment-held-body =
    A payment of { $amount } with your Anshin wallet at { $store } ({ $merchant }) is being checked before the shop is paid, because your account's details changed recently.
    Confirmation number: { $code }. If it is not approved, the money comes back to your wallet.
    If this was not you, lock your account now from the sign-in page, then contact support.
email-bank-account-linked-subject = A bank account was linked to your Anshin wallet
email-bank-account-linked-body =
    The bank account { $digits } held by { $holder } is now linked to your Anshin wallet: top-ups can be taken from it.
    If this was not you, lock your account now from the sign-in page, then contact support.
email-top-up-credited-subject = { $amount } was added to your Anshin wallet
email-top-up-credited-body =
    Your bank confirmed the top-up: { $amount } is now in your wallet's money balance.
    If this was not you, lock your account now from the sign-in page, then contact support.
email-top-up-failed-subject = Your top-up of { $amount } did not go through
email-top-up-failed-body =
    Your bank refused the top-up of { $amount }. Nothing was taken from your account and nothing was added to your wallet.
email-top-up-over-cap-subject = Your top-up of { $amount } is waiting
email-top-up-over-cap-body =
    Your bank sent { $amount }, but your wallet would hold more than it may. The money is kept aside and support will return it to your bank account.
email-card-added-subject = A card was added to your Anshin wallet
email-card-added-body =
    The card ending in { $digits } was verified and added to your Anshin wallet: top-ups can be charged to it.
    If this was not you, lock your account now from the sign-in page, then contact support.
email-card-top-up-credited-subject = { $amount } was charged to your card and added to your Anshin wallet
email-card-top-up-credited-body =
    { $amount } was charged to the card ending in { $digits } and added to your wallet's lite balance.
    If this was not you, lock your account now from the sign-in page, then contact support.
email-card-top-up-declined-subject = Your card top-up of { $amount } did not go through
email-card-top-up-declined-body =
    The top-up of { $amount } from the card ending in { $digits } was declined. Nothing was charged and nothing was added to your wallet.
email-points-granted-subject = You received { $amount } in points
email-points-granted-body =
    { $amount } in points from the campaign "{ $label }" were added to your Anshin wallet.

## Identity verification (eKYC)

email-identity-verified-subject = Your identity is verified
email-identity-verified-body =
    Your identity document was checked and your Anshin wallet is now verified: you can send money and withdraw to a bank account in your own name.
    If this was not you, lock your account now from the sign-in page, then contact support.
email-identity-verification-rejected-subject = Your identity could not be verified
email-identity-verification-rejected-body =
    We could not verify your identity from the document and photo you sent. Your wallet stays unverified: you can still top up and pay in stores.
    You can try again with a clear photo of a valid document. If you did not ask for this, lock your account now from the sign-in page, then contact support.
email-identity-verification-review-subject = A person is checking your identity document
email-identity-verification-review-body =
    Your identity verification needs a person to look at it. We will write to you when it is decided; there is nothing you need to do now.
    If you did not ask for this, lock your account now from the sign-in page, then contact support.

# Transfers and withdrawals
email-transfer-sent-subject = You sent { $amount } to { $payee }
email-transfer-sent-body =
    { $amount } left your wallet's money balance for { $payee }.
    If this was not you, lock your account now from the sign-in page, then contact support.
email-transfer-received-subject = { $payer } sent you { $amount }
email-transfer-received-body =
    { $amount } from { $payer } is now in your wallet's money balance.
    Message: { $note }
email-withdrawal-requested-subject = Your withdrawal of { $amount } is on its way
email-withdrawal-requested-body =
    { $amount } will be paid to your bank account ending in { $digits }.
    If this was not you, lock your account now from the sign-in page, then contact support.
email-withdrawal-in-review-subject = Your withdrawal of { $amount } is being checked
email-withdrawal-in-review-body =
    The name on the bank account ending in { $digits } is not exactly your verified name, so a person checks it before anything is paid. The { $amount } stays in your wallet, set aside, until then.
    If this was not you, lock your account now from the sign-in page, then contact support.
email-withdrawal-rejected-subject = Your withdrawal of { $amount } was not paid
email-withdrawal-rejected-body =
    The withdrawal of { $amount } was not approved. The money is available in your wallet again.
email-withdrawal-paid-subject = { $amount } was paid to your bank account
email-withdrawal-paid-body =
    Your bank accepted the withdrawal of { $amount }.
email-withdrawal-returned-subject = Your withdrawal of { $amount } came back
email-withdrawal-returned-body =
    Your bank returned the withdrawal of { $amount }; the money is back in your wallet's money balance. Check the account, or use another one.
## vcard (issue 8 item 8): the virtual card's usage notices

email-virtual-card-approved-subject = Your virtual card was used: { $amount } at { $merchant }
email-virtual-card-approved-body =
    { $merchant } was approved for { $amount } on your virtual card ending in { $digits }; the amount is held from your wallet until the shop settles.
    If this was not you, freeze the card in your wallet now and replace its number, then contact support.
email-virtual-card-declined-subject = A purchase of { $amount } at { $merchant } was declined
email-virtual-card-declined-body =
    { $merchant } asked for { $amount } on your virtual card ending in { $digits }, and it was declined. Nothing was taken from your wallet.
    If this was not you, freeze the card in your wallet now and replace its number.
email-virtual-card-revealed-subject = Your virtual card's number was shown
email-virtual-card-revealed-body =
    The number of your virtual card ending in { $digits } was shown in your wallet at { $when }, after a second factor.
    If this was not you, freeze the card in your wallet now, replace its number, and lock your account from the sign-in page.
