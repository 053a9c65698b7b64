# Anshin: メールとSMS（日本語）
# メールは `email-…-subject`（件名）と `email-…-body`（本文）の2項目、SMSは `sms-…` の1項目です。
# セキュリティのお知らせには、何が起きたかと、心当たりがない場合に何をすればよいかを書きます。
# SMSは1通に収まるよう、70文字以内にします。

## ウォレットの作成

email-registration-code-subject = 【Anshin】メールアドレスの確認コード
email-registration-code-body =
    メールアドレスを確認するためのコードは { $code } です。有効期限は{ $minutes }分です。
    Anshin に登録した覚えがない場合は、このメールを破棄してください。コードが使われない限り、何も起きません。
email-registration-taken-subject = 【Anshin】このメールアドレスで登録が試みられました
email-registration-taken-body =
    このメールアドレスで Anshin の新しいアカウントを作成しようとする操作がありました。このアドレスのアカウントはすでにあります。
    ご自身の操作の場合：新しく登録する代わりにログインするか、ログイン画面からパスワードを再設定してください。
    心当たりがない場合：アカウントには何の変更もありません。対応は不要です。Anshin からメールでパスワードをおたずねすることはありません。
sms-registration-code = 【Anshin】電話番号の確認コード：{ $code }。このコードは誰にも教えないでください。

## ログイン、ロックとロック解除

sms-sign-in-code = 【Anshin】確認コード：{ $code }。心当たりがない場合はパスワードが漏れています。すぐに変更してください。
email-new-device-subject = 【Anshin】新しい端末からログインがありました
email-new-device-body =
    これまで使われたことのない端末から、あなたのアカウントにログインがありました（IPアドレス：{ $ip }）。
    ご自身の操作であれば、対応は不要です。心当たりがない場合は、Anshin のサイトでアカウントをロックし、パスワードを再設定してください。
email-locked-subject = 【Anshin】アカウントをロックしました
email-locked-body =
    あなたのアカウントをロックしました。すべての端末からログアウトし、手続き中のパスワード再設定と連絡先の変更を取り消しました。誰もログインも支払いもできない状態です。
    ロックを解除するには、パスワードと2種類の2段階認証が必要です（サポート窓口でも解除できます）。解除は24時間後に有効になり、その間にお知らせしますので取り消すこともできます。
    ご自身でロックしていない場合、第三者があなたのパスワードと2段階認証を使っています。すぐにサポート窓口へご連絡ください。
sms-locked = 【Anshin】アカウントをロックし、全端末からログアウトしました。心当たりがない場合はすぐにサポートへご連絡ください。
email-unlocked-subject = 【Anshin】アカウントのロックを解除しました
email-unlocked-body =
    1日前に申し込まれたロックの解除が取り消されなかったため、アカウントのロックを解除しました。再びログインできます。
    申し込んだ覚えがない場合は、すぐにアカウントをもう一度ロックし、サポート窓口へご連絡ください。
sms-unlocked = 【Anshin】アカウントのロックを解除しました。心当たりがない場合はすぐに再ロックし、サポートへご連絡ください。

## 2段階認証

email-passkey-added-subject = 【Anshin】パスキーが追加されました
email-passkey-added-body =
    あなたのアカウントに、2段階認証のパスキーが追加されました。
    心当たりがない場合は、すぐに Anshin のサイトでアカウントをロックし、サポート窓口へご連絡ください。
email-totp-added-subject = 【Anshin】認証アプリが追加されました
email-totp-added-body =
    あなたのアカウントに、2段階認証の認証アプリが追加され、新しいリカバリーコードが発行されました。
    心当たりがない場合は、すぐに Anshin のサイトでアカウントをロックし、サポート窓口へご連絡ください。
email-totp-removed-subject = 【Anshin】認証アプリが削除されました
email-totp-removed-body =
    あなたのアカウントから、2段階認証の認証アプリが削除され、すべての端末からログアウトしました。
    心当たりがない場合は、すぐに Anshin のサイトでアカウントをロックし、サポート窓口へご連絡ください。

## パスワード

email-reset-subject = 【Anshin】パスワードの再設定
email-reset-body =
    Anshin のアカウントのパスワードを再設定する手続きが申し込まれました。
    再設定用のキーは次のとおりです：

    { $token }

    有効期限は{ $minutes }分です。再設定には、携帯電話（SMS）か認証アプリのコードも必要です。
    お申し込みに心当たりがない場合は、このメールを破棄してください。パスワードは変わりません。
sms-reset-code = 【Anshin】パスワード再設定のコード：{ $code }。申し込んだ覚えがない場合は誰にも教えず、サポートへご連絡ください。
email-password-changed-subject = 【Anshin】パスワードが変更されました
email-password-changed-body =
    あなたのアカウントのパスワードが変更され、すべての端末からログアウトしました。
    心当たりがない場合は、すぐに Anshin のサイトでアカウントをロックし、サポート窓口へご連絡ください。
sms-password-changed = 【Anshin】パスワードが変更されました。心当たりがない場合は、すぐにアカウントをロックしてサポートへご連絡ください。

## 連絡先の変更（$channel は "email" か "phone"）

email-contact-code-subject = 【Anshin】新しい連絡先の確認コード
email-contact-code-body = 【Anshin】この{ $channel ->
        [email] メールアドレス
       *[phone] 電話番号
    }を確認するためのコードは { $code } です。お申し込みに心当たりがない場合は、このメッセージを破棄してください。
sms-contact-code = 【Anshin】電話番号の確認コード：{ $code }。心当たりがない場合は、このSMSを破棄してください。
email-contact-changing-subject = 【Anshin】連絡先の変更手続きが始まりました
email-contact-changing-body =
    ログイン中の操作で、あなたのアカウントの{ $channel ->
        [email] メールアドレス
       *[phone] 電話番号
    }を変更する手続きが始まりました。変更後72時間は、ウォレットからお金を送ったり引き出したりできません。
    心当たりがない場合は、すぐに Anshin のサイトでアカウントをロックし、サポート窓口へご連絡ください。
email-contact-changed-subject = 【Anshin】連絡先が変更されました
email-old-address-changed-subject = 【Anshin】メールアドレスが変更されました
email-contact-changed-body =
    あなたのアカウントの{ $channel ->
        [email] メールアドレス
       *[phone] 電話番号
    }が変更されました。これから72時間は、ウォレットからお金を送ったり引き出したりできません。
    心当たりがない場合は、すぐに Anshin のサイトでアカウントをロックし、サポート窓口へご連絡ください。
sms-contact-changed = 【Anshin】アカウントの{ $channel ->
        [email] メールアドレス
       *[phone] 電話番号
    }が変更されました。心当たりがない場合はすぐにロックし、サポートへご連絡ください。

## 追加の確認と、携帯電話をなくしたときのロック

email-sign-in-code-subject = 【Anshin】ログインの確認コード
email-sign-in-code-body =
    ログインを完了するためのコードは { $code } です。お使いのネットワークからログインの失敗が続いているため、確認をお願いしています。
    今ログインしていない場合は、第三者があなたのパスワードを知っています。すぐにパスワードを変更し、Anshin のサイトでアカウントをロックして、サポート窓口へご連絡ください。
email-lock-code-subject = 【Anshin】アカウントをロックするためのコード
email-lock-code-body =
    アカウントをロックするためのコードは { $code } です。このコードはロックにしか使えず、ログインには使えません。
    申し込んだ覚えがない場合は、第三者があなたのパスワードを知っています。念のためアカウントをロックし、サポート窓口へご連絡ください。
sms-lock-code = 【Anshin】アカウントをロックするためのコード：{ $code }。誰にも教えないでください。
email-password-known-subject = 【Anshin】あなたのパスワードが第三者に知られています
email-password-known-body =
    見覚えのない端末から、あなたのアカウントの正しいパスワードが入力されました。2段階認証で止まったため、ログインはされていません。
    すぐにパスワードを変更してください（同じパスワードをほかのサービスでも使っていれば、そちらも）。心当たりがない場合は、Anshin のサイトでアカウントをロックし、サポート窓口へご連絡ください。
sms-password-known = 【Anshin】パスワードが第三者に知られています（2段階認証で止めました）。すぐに変更してください。

## ロックの解除は待ってから有効になり、取り消せます

email-unlock-requested-subject = 【Anshin】アカウントのロック解除が申し込まれました
email-unlock-requested-body =
    あなたのアカウントのロック解除が申し込まれました。{ $at }まではロックされたままです。
    心当たりがない場合は、次のキーで Anshin のサイトから解除を取り消してください（ロック解除 → ロック解除を取り消す）：

    { $key }

    もう一度アカウントをロックしても取り消せます。そのうえでサポート窓口へご連絡ください。
sms-unlock-requested = 【Anshin】{ $at }にロックが解除されます。心当たりがなければメールのキーで取り消すか再ロックを。
email-unlock-cancelled-subject = 【Anshin】アカウントのロック解除を取り消しました
email-unlock-cancelled-body =
    手続き中のロック解除を取り消しました。アカウントはロックされたままです。
    ご自身で取り消していない場合は、サポート窓口へご連絡ください。
sms-unlock-cancelled = 【Anshin】手続き中のロック解除を取り消しました。アカウントはロックされたままです。

## 端末

email-device-revoked-subject = 【Anshin】端末が削除されました
email-device-revoked-body =
    あなたのアカウントから端末が1台削除され、その端末のセッションはログアウトしました。
    心当たりがない場合は、すぐに Anshin のサイトでアカウントをロックし、サポート窓口へご連絡ください。

email-payment-made-subject = 【Anshin】{ $store }で{ $amount }をお支払いしました
email-payment-made-body =
    Anshinウォレットで{ $store }（{ $merchant }）に{ $amount }をお支払いしました。
    確認番号：{ $code }（お店の画面にも同じ番号が表示されます）
    お心当たりがない場合は、すぐにログイン画面からアカウントをロックし、サポート窓口へご連絡ください。
email-merchant-suspended-subject = 【Anshin】{ $merchant }の加盟店アカウントを停止しました
email-merchant-suspended-body =
    { $merchant }は、追って連絡するまで決済を受け付けられません。
    理由：{ $reason }
    解決のため、Anshin加盟店サポートへご連絡ください。
email-merchant-reactivated-subject = 【Anshin】{ $merchant }の決済受付を再開しました
email-merchant-reactivated-body =
    { $merchant }の加盟店アカウントは有効になり、決済を受け付けられます。
    備考：{ $reason }
email-payout-account-set-subject = 【Anshin】{ $merchant }の振込先口座を登録しました
email-payout-account-set-body =
    { $merchant }の売上は、今後{ $holder }（口座番号末尾{ $last3 }）へ振り込まれます。
    お心当たりがない場合は、すぐにAnshin加盟店サポートへご連絡ください。
email-payout-account-changing-subject = 【Anshin】{ $merchant }の振込先口座が変更されます
email-payout-account-changing-body =
    { $merchant }の振込先口座が{ $holder }（口座番号末尾{ $last3 }）に変更されます。
    変更は{ $when }に有効になります。それまでは現在の口座へ振り込みます。
    お心当たりがない場合は、加盟店ポータルで変更を取り消し、すぐにAnshin加盟店サポートへご連絡ください。

email-refund-made-subject = 【Anshin】{ $amount }が返金されました
email-refund-made-body =
    お支払い（確認番号：{ $code }）のうち{ $amount }がAnshinウォレットに返金されました。
    お心当たりがない場合は、サポート窓口へご連絡ください。

email-payout-returned-subject = 【Anshin】{ $merchant }への振込が組み戻されました
email-payout-returned-body =
    { $merchant }の口座（口座番号末尾{ $last3 }）への{ $amount }の振込が銀行から返却されました（{ $when }）。
    資金はAnshinでお預かりしています。加盟店ポータルで振込先口座をご確認のうえ、Anshin加盟店サポートへご連絡ください。

email-payment-waiting-subject = 【Anshin】{ $store }での{ $amount }のお支払いを確認してください
email-payment-waiting-body =
    Anshinウォレットによる{ $store }（{ $merchant }）への{ $amount }のお支払いが確認待ちです。
    確認番号：{ $code }。確認されるまでお店には支払われず、期限までに確認されない場合は残高に戻ります。
    お心当たりがない場合は確認せず、すぐにログイン画面からアカウントをロックし、サポート窓口へご連絡ください。
email-payment-completed-subject = 【Anshin】{ $amount }のお支払いが完了しました
email-payment-completed-body =
    { $amount }のお支払い（確認番号：{ $code }）が完了し、お店に支払われました。
    お心当たりがない場合は、すぐにログイン画面からアカウントをロックし、サポート窓口へご連絡ください。
email-payment-returned-subject = 【Anshin】{ $amount }のお支払いは行われませんでした
email-payment-returned-body =
    { $amount }のお支払い（確認番号：{ $code }）は取り消されたか期限までに確認されなかったため、{ $amount }をAnshinウォレットに戻しました。
email-payment-held-subject = 【Anshin】{ $store }での{ $amount }のお支払いを確認中です
email-payment-held-body =
    最近アカウントの登録情報が変更されたため、Anshinウォレットによる{ $store }（{ $merchant }）への{ $amount }のお支払いを、お店に支払う前に確認しています。
    確認番号：{ $code }。承認されなかった場合は、残高に戻ります。
    お心当たりがない場合は、すぐにログイン画面からアカウントをロックし、サポート窓口へご連絡ください。
email-bank-account-linked-subject = 【Anshin】銀行口座を登録しました
email-bank-account-linked-body =
    口座名義 { $holder } の口座（{ $digits }）をAnshinウォレットに登録しました。この口座からチャージできます。
    お心当たりがない場合は、すぐにログイン画面からアカウントをロックし、サポート窓口へご連絡ください。
email-top-up-credited-subject = 【Anshin】{ $amount }をチャージしました
email-top-up-credited-body =
    銀行での引き落としが確認できたため、{ $amount }をウォレットのマネー残高に入金しました。
    お心当たりがない場合は、すぐにログイン画面からアカウントをロックし、サポート窓口へご連絡ください。
email-top-up-failed-subject = 【Anshin】{ $amount }のチャージができませんでした
email-top-up-failed-body =
    銀行が{ $amount }の引き落としを受け付けませんでした。口座からの引き落としもウォレットへの入金も行われていません。
email-top-up-over-cap-subject = 【Anshin】{ $amount }のチャージを保留しています
email-top-up-over-cap-body =
    銀行から{ $amount }を受け取りましたが、ウォレットの保有上限を超えるため入金できませんでした。お預かりしたお金はサポートが銀行口座へお返しします。
email-card-added-subject = 【Anshin】カードを登録しました
email-card-added-body =
    末尾 { $digits } のカードの確認が完了し、Anshin ウォレットに登録しました。このカードからチャージできます。
    お心当たりがない場合は、すぐにログイン画面からアカウントをロックし、サポート窓口へご連絡ください。
email-card-top-up-credited-subject = 【Anshin】カードから{ $amount }をチャージしました
email-card-top-up-credited-body =
    末尾 { $digits } のカードで{ $amount }を決済し、ウォレットのライト残高に入金しました。
    お心当たりがない場合は、すぐにログイン画面からアカウントをロックし、サポート窓口へご連絡ください。
email-card-top-up-declined-subject = 【Anshin】カードからの{ $amount }のチャージができませんでした
email-card-top-up-declined-body =
    末尾 { $digits } のカードからの{ $amount }のチャージは承認されませんでした。カードへの請求もウォレットへの入金もありません。
email-points-granted-subject = 【Anshin】{ $amount }分のポイントを付与しました
email-points-granted-body =
    キャンペーン「{ $label }」のポイント{ $amount }分をAnshinウォレットに付与しました。

## 本人確認（eKYC）

email-identity-verified-subject = 【Anshin】本人確認が完了しました
email-identity-verified-body =
    本人確認書類を確認し、Anshinウォレットの本人確認が完了しました。送金や、ご本人名義の銀行口座への出金ができるようになりました。
    お心当たりがない場合は、すぐにサインイン画面からアカウントをロックし、サポートにご連絡ください。
email-identity-verification-rejected-subject = 【Anshin】本人確認ができませんでした
email-identity-verification-rejected-body =
    お送りいただいた書類と写真では、本人確認ができませんでした。ウォレットは本人確認前のままです（チャージとお店での支払いはご利用いただけます）。
    有効な書類をはっきり撮影して、もう一度お試しください。お心当たりがない場合は、すぐにサインイン画面からアカウントをロックし、サポートにご連絡ください。
email-identity-verification-review-subject = 【Anshin】本人確認書類を担当者が確認しています
email-identity-verification-review-body =
    本人確認は担当者による確認が必要になりました。結果が出ましたらメールでお知らせします。お客様の操作は必要ありません。
    お心当たりがない場合は、すぐにサインイン画面からアカウントをロックし、サポートにご連絡ください。

# Transfers and withdrawals
email-transfer-sent-subject = 【Anshin】{ $payee }さんに{ $amount }を送りました
email-transfer-sent-body =
    ウォレットのマネー残高から{ $payee }さんへ{ $amount }を送金しました。
    お心当たりがない場合は、すぐにログイン画面からアカウントをロックし、サポート窓口へご連絡ください。
email-transfer-received-subject = 【Anshin】{ $payer }さんから{ $amount }を受け取りました
email-transfer-received-body =
    { $payer }さんからの{ $amount }をウォレットのマネー残高に入金しました。
    メッセージ：{ $note }
email-withdrawal-requested-subject = 【Anshin】{ $amount }の出金を受け付けました
email-withdrawal-requested-body =
    末尾 { $digits } の銀行口座へ{ $amount }をお振り込みします。
    お心当たりがない場合は、すぐにログイン画面からアカウントをロックし、サポート窓口へご連絡ください。
email-withdrawal-in-review-subject = 【Anshin】{ $amount }の出金を確認しています
email-withdrawal-in-review-body =
    末尾 { $digits } の銀行口座の名義が確認済みのお名前と一致しないため、担当者が確認してからお振り込みします。それまで{ $amount }はウォレット内で確保されます。
    お心当たりがない場合は、すぐにログイン画面からアカウントをロックし、サポート窓口へご連絡ください。
email-withdrawal-rejected-subject = 【Anshin】{ $amount }の出金は行われませんでした
email-withdrawal-rejected-body =
    { $amount }の出金は承認されませんでした。ウォレットで再びお使いいただけます。
email-withdrawal-paid-subject = 【Anshin】銀行口座へ{ $amount }を振り込みました
email-withdrawal-paid-body =
    { $amount }の出金を銀行が受け付けました。
email-withdrawal-returned-subject = 【Anshin】{ $amount }の出金が返却されました
email-withdrawal-returned-body =
    銀行から{ $amount }の振込が返却されたため、ウォレットのマネー残高に戻しました。口座をご確認いただくか、別の口座をお使いください。
## vcard（issue 8 item 8）：バーチャルカードの利用通知

email-virtual-card-approved-subject = 【Anshin】バーチャルカードのご利用：{ $merchant }で{ $amount }
email-virtual-card-approved-body =
    末尾 { $digits } のバーチャルカードで、{ $merchant }での{ $amount }のご利用を承認しました。お店の売上確定まで、この金額をウォレットから確保しています。
    お心当たりがない場合は、すぐにウォレットでカードを停止して番号を再発行し、サポートにご連絡ください。
email-virtual-card-declined-subject = 【Anshin】{ $merchant }での{ $amount }のご利用をお断りしました
email-virtual-card-declined-body =
    末尾 { $digits } のバーチャルカードで、{ $merchant }から{ $amount }のご利用がありましたが、お断りしました。ウォレットからの引き落としはありません。
    お心当たりがない場合は、すぐにウォレットでカードを停止し、番号を再発行してください。
email-virtual-card-revealed-subject = 【Anshin】バーチャルカードの番号が表示されました
email-virtual-card-revealed-body =
    末尾 { $digits } のバーチャルカードの番号が、{ $when }に2段階認証のうえウォレットで表示されました。
    お心当たりがない場合は、すぐにウォレットでカードを停止して番号を再発行し、ログイン画面からアカウントをロックしてください。
