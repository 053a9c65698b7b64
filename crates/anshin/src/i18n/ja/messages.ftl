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
    あなたのアカウントをロックしました。すべての端末からログアウトし、誰もログインも支払いもできない状態です。
    ロックを解除するには、パスワードと、2種類の2段階認証が必要です（サポート窓口でも解除できます）。
    ご自身でロックしていない場合、第三者があなたのパスワードと2段階認証を使っています。すぐにサポート窓口へご連絡ください。
sms-locked = 【Anshin】アカウントをロックし、全端末からログアウトしました。心当たりがない場合はすぐにサポートへご連絡ください。
email-unlocked-subject = 【Anshin】アカウントのロックを解除しました
email-unlocked-body =
    パスワードと2種類の2段階認証で、あなたのアカウントのロックが解除されました。再びログインできます。
    ご自身で解除していない場合は、すぐにアカウントをもう一度ロックし、サポート窓口へご連絡ください。
email-unlocked-by-support-subject = 【Anshin】サポート窓口がアカウントのロックを解除しました
email-unlocked-by-support-body =
    ご本人であることを確認したうえで、サポート窓口があなたのアカウントのロックを解除しました。
    心当たりがない場合は、すぐに Anshin のサイトでアカウントをロックし、サポート窓口へご連絡ください。

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
