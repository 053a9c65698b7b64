# Anshin: ウェブページの文言（日本語）
# 各項目は en/pages.ftl に同じ ID・同じ { $変数 } の対になる項目があります。
# 文体は「です・ます」。セキュリティに関する案内は「何が起きたか」と「次に何をすればよいか」を
# はっきり書きます。

## すべてのページ

layout-skip = 本文へ移動
layout-language = 表示言語
layout-home = Anshin トップページ

## 共通の言葉

common-continue = 次へ
common-confirm = 確認する
common-code = コード
common-email = メールアドレス
common-password = パスワード
common-new-password = 新しいパスワード
common-second-factor = 2段階認証の方法
common-send-sms = SMSでコードを受け取る
common-send-email = メールでコードを受け取る
common-email-sent = メールアドレスにコードを送りました。
common-sms-sent = 携帯電話にSMSでコードを送りました。
common-back-to-security = セキュリティ設定に戻る
common-sign-in = ログイン
common-sign-in-again = もう一度ログインする
common-back = 戻る

## 2段階認証の方法の名前

factor-totp = 認証アプリ
factor-sms = SMSのコード
factor-recovery-code = リカバリーコード
factor-passkey = パスキー
factor-email = メールで届いたコード

## 問題を知らせるページ：何が起きたか、次に何をすればよいか

problem-csrf-title = もう一度お試しください
problem-csrf = このフォームは有効期限が切れたか、このサイト以外から送信されました。ページを再読み込みしてから、もう一度送信してください。
problem-not-found-title = ページが見つかりません
problem-not-found = お探しのページはありません。
problem-signed-out-title = ログインしてください
problem-signed-out = ログインの有効期限が切れました。もう一度ログインしてください。
problem-internal-title = 問題が発生しました
problem-internal = お手数ですが、もう一度お試しください。
problem-factor-first-title = 先に2段階認証を設定してください
problem-factor-first = セキュリティ設定のページで、認証アプリを追加してください。
problem-not-changed-title = 変更できませんでした
problem-step-up-hint = 先にセキュリティ設定のページで、その変更の横にある「本人確認」を行ってください。本人確認はその1つの変更にだけ使えます。
problem-failed-title = 手続きを完了できませんでした
problem-codes-title = コードを確認できませんでした
problem-code-title = コードを確認できませんでした
problem-totp-title = 今は認証アプリを追加できません
problem-operators-title = 運用担当者専用のページです
problem-operators = このコンソールは Anshin の運用担当者だけが使えます。
problem-merchants-title = 加盟店スタッフ専用のページです
problem-merchants = このポータルは加盟店のスタッフだけが使えます。
problem-link-retry = 前の画面に戻ってやり直す
problem-link-home = トップページへ

## トップページ

index-title = Anshin へようこそ
index-intro = 最初の設計からセキュリティを組み込んだ、キャッシュレス決済サービスです。
index-register = ウォレットを作成する
index-sign-in = ログイン
index-sign-in-note = （ウォレット・加盟店ポータル・運用コンソール）
index-health = 稼働状況
index-openapi = API仕様（OpenAPI）
index-dev-mailbox = 開発用メールボックス：サービスが送信したメッセージ

## 開発用メールボックス（開発時のみ）

mailbox-title = 開発用メールボックス
mailbox-intro = メールサーバーが設定されていない間に、サービスが送信したメールとSMSの一覧です。新しい順に表示しています。
mailbox-empty = メッセージはまだありません。
mailbox-to = 宛先
mailbox-channel = 送信方法
mailbox-id = メッセージID

## ウォレットの作成

register-title = ウォレットを作成する
register-intro = ウォレットにお金を入れられるようにする前に、メールアドレスと携帯電話番号の両方を確認します。
register-phone = 携帯電話番号
register-phone-hint = 例：090-1234-5678（海外の番号は +81 90 1234 5678 のように国番号から）
register-legal-name = 氏名（本人確認書類と同じ表記）
register-date-of-birth = 生年月日
register-password = パスワード（8文字以上。いくつかの単語をつなげた長めのパスフレーズがおすすめです）
register-submit = ウォレットを作成する
register-sent-title = メールとSMSを確認してください
register-sent-intro = 次の2か所に、それぞれ6桁の確認コードを送りました。コードの有効期限は{ $minutes }分です。
register-sent-email = メール：
register-sent-phone = SMS：
register-email-code = メールに届いたコード
register-sms-code = SMSに届いたコード

## セキュリティ設定

security-title = セキュリティ設定
security-signed-in-as = ログイン中のアカウント：
security-sessions-link = ログイン中の端末
security-lock-link = 携帯電話をなくしたときは：アカウントをロックする
security-factors = 2段階認証
security-add-totp-why = 認証アプリの追加をおすすめします。電波が届かない場所でも使え、SMSのように途中で盗み取られることがありません。
security-add-totp = 認証アプリを追加する
security-remove-totp = 認証アプリを削除する（すべての端末からログアウトします）
security-passkey-why = パスキー（スマートフォンやパソコンの画面ロック）は、最も安全な2段階認証です。偽のサイトにだまされて使ってしまうことがありません。
security-add-passkey = パスキーを追加する
security-step-up-why = パスワード・メールアドレス・電話番号・2段階認証を変更するには、その変更のために数分以内に2段階認証で本人確認をしておく必要があります。ログインから数分以上たってから2段階認証を追加する場合も同じです：
security-step-up-add-factor = 2段階認証を追加するために本人確認をする
security-step-up-remove-factor = 2段階認証を削除するために本人確認をする
security-step-up-change-password = パスワードを変更するために本人確認をする
security-step-up-change-contact = メールアドレスまたは電話番号を変更するために本人確認をする
security-password = パスワード
security-current-password = 現在のパスワード
security-change-password = パスワードを変更する（すべての端末からログアウトします）
security-contact = メールアドレスと電話番号
security-contact-why = 変更してから72時間は、ウォレットからお金を送ったり引き出したりできません。変更前の連絡先にもお知らせします。
security-contact-which = 変更する項目
security-contact-value = 新しいメールアドレスまたは携帯電話番号
security-contact-submit = 新しい連絡先にコードを送る

## パスキーのボタンの案内（ページのスクリプトが表示）

passkey-waiting = お使いの端末に表示される案内に従ってください…
passkey-cancelled = パスキーの操作が取り消されたか、時間切れになりました。もう一度お試しいただくか、ほかの方法で確認してください。
passkey-unsupported = このブラウザーではパスキーを使えません。ほかの方法で確認してください。
passkey-failed = パスキーを使えませんでした：

## 認証アプリ

totp-title = 認証アプリを追加する
totp-intro = 認証アプリでこのQRコードを読み取るか、下のキーを認証アプリに入力してください。
totp-qr-label = 認証アプリ用のQRコード
totp-key = キー：
totp-code = 認証アプリに今表示されている6桁のコード
totp-done-title = 認証アプリを設定しました
totp-recovery-intro = 次のリカバリーコードを、携帯電話とは別の安全な場所に保管してください。認証アプリを使えなくなったときに、それぞれ1回だけ使えます。
totp-removed-title = 認証アプリを削除しました
totp-removed = 認証アプリを削除し、すべての端末からログアウトしました。

## 2段階認証の画面（ログイン・ロック・本人確認）

factor-title = 本人確認
factor-intro = 認証アプリのコード、SMSで届いたコード、リカバリーコードのいずれかを入力してください。
factor-use-passkey = パスキーを使う

## パスワードと連絡先の変更

password-changed-title = パスワードを変更しました
password-changed = パスワードを変更し、すべての端末からログアウトしました。
contact-confirm-title = 新しい連絡先の確認
contact-sent-to = 次の宛先に確認コードを送りました：
contact-old-told = 現在の連絡先にも、変更の手続きが始まったことをお知らせしています。
contact-changed-title = 連絡先を変更しました
contact-changed = 連絡先を変更しました。これから72時間は、ウォレットからお金を送ったり引き出したりできません。変更前と変更後の両方の連絡先にお知らせしました。

## ログイン

login-title = ログイン
login-intro = ウォレットをお使いの方、加盟店のスタッフ、運用担当者のどなたも、こちらからログインしてください。
login-try-again = もう一度お試しください。
login-register = ウォレットを作成する
login-forgot = パスワードをお忘れの方
login-unlock = アカウントのロックを解除する

## ログイン中の端末

sessions-title = ログイン中の端末
sessions-intro = このアカウントにログインしている端末の一覧です。心当たりのない端末があればログアウトさせ、その後パスワードを変更してください。
sessions-entry = { $agent }（IPアドレス：{ $ip }）
sessions-last-seen = 最終利用：{ $time }
sessions-this-device = （この端末）
sessions-end = この端末をログアウトさせる
sessions-sign-out = ログアウト

## 携帯電話をなくしたとき：ロックとロック解除

lock-title = アカウントをロックする
lock-intro = 携帯電話をなくしたときは、ここでアカウントをロックしてください。すべての端末からログアウトし、ロックを解除するまで、誰もログインや支払いができなくなります。
locked-title = アカウントをロックしました
locked = アカウントをロックし、すべての端末からログアウトしました。手続き中のパスワード再設定・連絡先の変更・ロック解除もすべて取り消しました。現在は誰もログインも支払いもできません。ロックを解除するには、パスワードと2種類の2段階認証が必要で（サポート窓口でも解除できます）、解除は24時間後に有効になります。その間にお知らせしますので、身に覚えがなければ取り消せます。
unlock-title = アカウントのロックを解除する
unlock-intro = ロックを解除するには、パスワードを入力したあと、種類の異なる2つの2段階認証で確認します（サポート窓口でも解除できます）。
unlock-factors-title = 2つの方法で本人確認
unlock-factors-intro = 種類の異なる2段階認証を2つ入力してください。
unlock-factor = { $n }つ目の方法
unlock-code = { $n }つ目のコード
unlock-submit = ロックを解除する
unlocked-title = ロックの解除を受け付けました
unlocked = アカウントはあと約{ $hours }時間ロックされたままで、その後に解除されます。登録済みのすべての連絡先にお知らせしました。身に覚えがない場合は、そのお知らせにある取り消し用のキーで取り消すか、もう一度アカウントをロックしてください。
unlock-cancel-link = ロック解除を取り消す
unlock-cancel-title = ロック解除を取り消す
unlock-cancel-intro = 身に覚えのないロック解除の手続きがありましたか？お送りしたお知らせにある取り消し用のキーを貼り付けてください。
unlock-cancel-key = 取り消し用のキー
unlock-cancel-submit = ロック解除を取り消す
unlock-cancelled-title = ロック解除を取り消しました
unlock-cancelled = そのキーが手続き中のロック解除のものであれば、取り消しました。アカウントはロックされたままです。アカウントの持ち主にお知らせしました。

## 運用コンソールと加盟店ポータル

ops-title = 運用コンソール
ops-signed-in-role = 運用担当者としてログインしています。権限：
ops-audit = 監査ログのチェーン
ops-audit-ok = 正常です：{ $count }件の記録を検証しました。
ops-audit-broken = 異常があります：問題が{ $count }件見つかりました。anshin admin verify-audit を実行してください。
ops-takeover = 乗っ取りの疑いがあるとき
ops-user-id = 利用者ID（usr_…）
ops-revoke-all = この利用者のすべてのログインを終了する
ops-revoked-title = ログインを終了しました
ops-revoked = { $count }件のログインを終了しました。
merchant-title = 加盟店ポータル
merchant-signed-in-role = ログインしています。権限：
merchant-security = セキュリティ設定

## パスワードの再設定

reset-title = パスワードの再設定
reset-intro = 再設定用のキーは、アカウントで確認済みのメールアドレスにだけ送ります。ほかのアドレスに送ることはありません。携帯電話、認証アプリ、リカバリーコードのいずれかも必要です。
reset-email = アカウントのメールアドレス
reset-request = 再設定用のキーを送る
reset-new-title = 新しいパスワードを設定する
reset-token = メールに記載された再設定用のキー
reset-submit = 新しいパスワードを設定する
reset-sms-label = SMSでコードを受け取る場合は、キーを貼り付けてからボタンを押してください：
reset-sent = このメールアドレスのアカウントがあれば、再設定用のキーを送りました。有効期限は{ $minutes }分です。
reset-done-title = パスワードを変更しました
reset-done = パスワードを変更し、すべての端末からログアウトしました。ログインするときは、これまでどおり2段階認証も必要です。

## 登録完了：リカバリーコード

registered-title = ウォレットの準備ができました
registered-confirmed = メールアドレスと電話番号の確認が済みました。
registered-codes-heading = リカバリーコードを保管してください
registered-codes-why = 書き留めるか印刷して、携帯電話とは別の場所に保管してください。携帯電話をなくしたり盗まれたりしたときは、パスワードとこのコードのどれか1つで、どの端末からでもアカウントをロックできます。各コードは1回だけ使えます。このコードは二度と表示されません。
registered-continue = 保管しました：次へ

## 追加の確認と、1つの変更のための本人確認

factor-email-proof-why = お使いのネットワークからログインの失敗が続いているため、メールアドレスにお送りするコードも入力してください。
factor-email-code = メールで届いたコード
step-up-for-change-password = パスワードを変更するには、2段階認証で本人確認をしてください。
step-up-for-change-contact = メールアドレスまたは電話番号を変更するには、2段階認証で本人確認をしてください。
step-up-for-add-factor = 2段階認証を追加するには、今お持ちの2段階認証で本人確認をしてください。
step-up-for-remove-factor = 2段階認証を削除するには、2段階認証で本人確認をしてください。
step-up-for-revoke-device = 端末を削除するには、2段階認証で本人確認をしてください。
step-up-for-unlock-user = 利用者のアカウントのロックを解除するには、2段階認証で本人確認をしてください。
step-up-once = この本人確認は、この1つの変更に数分間だけ使えます。
step-up-continue = 次へ
problem-step-up-action-title = 確認するものがありません
problem-step-up-action = 本人確認が必要な変更ではありません。セキュリティ設定のページに戻ってください。

## 運用コンソール：監査ログの検証

ops-audit-none = まだ検証していません。
ops-audit-checked-at = 最後の検証：
ops-audit-verify = 監査ログ全体を今すぐ検証する
ops-audit-verified-title = 監査ログを検証しました
ops-audit-broken-detail = 監査ログが壊れています：
step-up-for-add-staff = スタッフを追加するには、2段階認証で本人確認をしてください。
step-up-for-create-pos-key = POSキーを作成するには、2段階認証で本人確認をしてください。
step-up-for-manage-webhooks = Webhookの送信先を追加したりシークレットを更新したりするには、2段階認証で本人確認をしてください。
step-up-for-change-payout-account = 振込先口座を登録するには、2段階認証で本人確認をしてください。
step-up-for-link-bank-account = 銀行口座を登録するには、2段階認証で本人確認をしてください。
step-up-for-verify-identity = 本人確認書類を送るには、2段階認証でご本人であることを確認してください。
step-up-for-send-money = この金額を送るには、2段階目の認証で本人であることを確認してください。
step-up-for-withdraw = 銀行口座へ出金するには、2段階目の認証で本人であることを確認してください。
step-up-for-refund = 返金するには、2段階認証で本人確認をしてください。
step-up-for-confirm-payment = この金額を支払うには、2段階認証で本人確認をしてください。

## 加盟店ポータル

merchant-legal-name = 正式名称
merchant-number = 加盟店番号
merchant-status = 状態
merchant-your-role = あなたの権限
merchant-status-pending-review = 審査中
merchant-status-active = 利用中
merchant-status-suspended = 停止中
merchant-status-rejected = 不承認
merchant-pending-note = Anshin がこの加盟店を審査しています。店舗・スタッフ・POSキーの準備は今からできます。決済の受け付けは承認後に始まります。
merchant-inactive-note = Anshin が利用を再開するまで、この加盟店は決済を受け付けられず、設定も変更できません。
merchant-reason = 理由：{ $reason }
merchant-step-up-done = 本人確認ができました。続けて変更を行ってください。この確認は、その1つの変更に数分間だけ使えます。
merchant-needs-step-up = 実行する前に、2段階認証で本人確認をしていただきます。
merchant-back = 加盟店ポータルに戻る
merchant-shown-once = 表示されるのはこの1回だけです。
merchant-created-at = 作成：{ $time }
staff-role-owner = オーナー
staff-role-manager = マネージャー
staff-role-cashier = レジ担当
staff-status-active = 有効
staff-status-locked = ロック中

## 加盟店ポータル：店舗とスタッフ

merchant-stores = 店舗
merchant-stores-none = 店舗はまだありません。
merchant-store-number = 店舗番号 { $number }
store-status-open = 営業中
store-status-closed = 休止中
merchant-store-close = この店舗を休止する
merchant-store-reopen = この店舗を再開する
merchant-store-add = 店舗を追加する
merchant-store-name = 店舗名（お客さまが支払う前に表示されます）
merchant-store-postal-code = 郵便番号
merchant-store-postal-hint = 7桁の数字です。例：150-0002
merchant-store-address = 住所
merchant-staff = スタッフ
merchant-staff-add = スタッフを追加する
merchant-staff-name = 氏名
merchant-staff-role = 権限
merchant-staff-added-title = スタッフを追加しました
merchant-staff-added = { $name }さん（{ $email }）は、次の初期パスワードでログインできます：
merchant-staff-hand-over = このパスワードは、メールやチャットではなく、必ずご本人に直接お渡しください。最初のログインで認証アプリの設定が必要です。

## 加盟店ポータル：POSキーとWebhook

merchant-pos-keys = POSキー
merchant-pos-keys-intro = POSキーがあると、1つの店舗のレジで決済を受け付けられます。レジをなくしたときや、キーが漏れたおそれがあるときは、すぐに無効にしてください。
merchant-pos-key-revoked = 無効化：{ $time }
merchant-pos-key-revoke = このキーを無効にする
merchant-pos-key-needs-store = POSキーは営業中の店舗ごとに作成します。先に店舗を追加するか、休止中の店舗を再開してください。
merchant-pos-key-create = POSキーを作成する
merchant-pos-key-store = 店舗
merchant-pos-key-label = 管理用の名前
merchant-pos-key-label-hint = 例：「2番レジ」
merchant-pos-key-created-title = POSキーを作成しました
merchant-pos-key-created = POSキー「{ $label }」（{ $id }）を作成しました。シークレットは次のとおりです：
merchant-pos-key-keep = 今すぐレジに入力し、ほかの場所には保管しないでください。
merchant-webhooks = Webhook
merchant-webhooks-intro = 決済のイベントを、これらのURLに送ります。送信内容には、送信先ごとのシークレットで署名します。
merchant-webhook-version = シークレットのバージョン：{ $count }
merchant-webhook-rotate = シークレットを更新する
merchant-webhook-disable = この送信先への送信を止める
merchant-webhook-disabled = 停止中
merchant-webhook-add = 送信先を追加する
merchant-webhook-url = 送信先のURL
merchant-webhook-url-hint = 公開されたホスト名の https:// で始まるURLを入力してください。
merchant-webhook-secret-title = Webhookの署名用シークレット
merchant-webhook-added = これから { $url } にイベントを送ります。この送信先の署名用シークレットは次のとおりです：
merchant-webhook-rotated = { $url } の新しい署名用シークレットです。受信側の切り替えでイベントを取りこぼさないよう、古いシークレットも{ $hours }時間は使えます：
merchant-webhook-keep = 今すぐ受信側の設定に入力してください。

## 加盟店ポータル：振込先口座

payout-title = 振込先口座
payout-none = 振込先口座はまだ登録されていません。登録するまで入金は保留されます。
payout-bank = 金融機関
payout-branch = 支店
payout-account = 口座
payout-ending = 末尾 { $digits }
payout-holder = 口座名義
payout-name-check = 名義の確認
payout-type-ordinary = 普通
payout-type-current = 当座
payout-type-savings = 貯蓄
payout-name-check-exact = 加盟店の正式名称と一致しています
payout-name-check-review = 名義が加盟店のものか Anshin が確認しています。確認が済むまで入金は保留されます
payout-name-check-approved = Anshin が確認し、承認しました
payout-name-check-rejected = Anshin が承認しませんでした。別の口座を登録してください
payout-pending = { $time }から、入金先が次の口座に変わります：
payout-pending-not-you = 身に覚えのない変更であれば、今すぐ取り消して、Anshin にご連絡ください。
payout-cancel = この変更を取り消す
payout-set = 振込先口座を登録する
payout-set-why = 登録すると、すべてのオーナーにすぐメールでお知らせします。登録済みの口座の変更は{ $hours }時間後に有効になるため、身に覚えのない変更はそれまでに止められます。
payout-bank-code = 金融機関コード（4桁）
payout-branch-code = 支店コード（3桁）
payout-account-type = 預金種目
payout-account-number = 口座番号（7桁）
payout-holder-hint = 通帳に記載のとおり、カタカナで入力してください。加盟店の正式名称（カナ）と一致しない場合は、Anshin の確認が済むまで入金されません。
payout-changed-title = 振込先口座を登録しました
payout-changed-now = これからの入金は、この口座に振り込まれます。すべてのオーナーにメールでお知らせしました。
payout-changed-later = { $time }から、入金先がこの口座に変わります。すべてのオーナーにメールでお知らせしました。それまでは変更を取り消せます。

## 運用コンソール：加盟店

ops-merchants-title = 加盟店
ops-merchants-link = 加盟店の審査と管理
ops-merchants-read-only = 加盟店の承認・不承認・停止・再開は管理者だけが行えます。あなたは一覧を閲覧できます。
ops-merchants-none = ありません。
ops-merchants-newest-only = 新しい50件だけを表示しています。
ops-merchants-back = 加盟店の一覧に戻る
ops-merchant-facts = 番号 { $number }・MCC { $mcc }・手数料率 { $rate }
ops-merchant-proposed-at = 申請：{ $time }
ops-merchant-reason = 理由（監査ログに残ります）
ops-merchant-reason-told = 理由（監査ログに残り、加盟店にも伝えます）
ops-merchant-approve = 承認する
ops-merchant-reject = 承認しない
ops-merchant-suspend = この加盟店を停止する
ops-merchant-reactivate = この加盟店の利用を再開する
ops-merchant-propose = 加盟店を申請する
ops-merchant-propose-why = 申請は別の管理者が審査します。承認されるまで、加盟店は決済を受け付けられません。
ops-merchant-legal-name = 正式名称（登記のとおり）
ops-merchant-kana = 正式名称（カタカナ）
ops-merchant-kana-hint = 金融機関に届け出ている表記です。例：カブシキガイシャアンシン
ops-merchant-mcc = 業種コード（MCC）
ops-merchant-mcc-hint = 4桁の数字（ISO 18245）です。例：飲食店は 5812
ops-merchant-contact = 連絡先メールアドレス
ops-merchant-fee = 手数料率（ベーシスポイント）
ops-merchant-fee-hint = 260 で 2.6% です。上限は 1000（10%）です。
ops-merchant-proposed-title = 加盟店を申請しました
ops-merchant-proposed = { $name }（番号 { $number }）は、別の管理者の審査を待っています。
ops-merchant-id = 加盟店ID：
ops-merchant-reviewed-title = 加盟店を審査しました
ops-merchant-approved = { $name }を承認しました。利用を開始できます。
ops-merchant-rejected = { $name }を承認しませんでした。
ops-merchant-review-who = 加盟店の審査は、申請した運用担当者とは別の管理者が行います。
ops-merchant-status-changed-title = 加盟店の状態を変更しました
ops-merchant-suspended = { $name }を停止しました。再開するまで決済を受け付けません。加盟店の連絡先にお知らせしました。
ops-merchant-reactivated = { $name }の利用を再開しました。加盟店の連絡先にお知らせしました。
ops-decision-invalid = 「承認する」か「承認しない」を選んでください。
ops-payout-reviews = 名義の確認が必要な振込先口座
ops-payout-reviews-why = これらの口座の名義は、加盟店の正式名称（カナ）と一致しません。管理者が承認するまで入金は保留されます。
ops-payout-reviews-none = 確認待ちの口座はありません。
ops-payout-legal-name = 正式名称：
ops-payout-approve = この口座を承認する
ops-payout-reject = この口座を承認しない
ops-payout-reviewed-title = 振込先口座を確認しました
ops-payout-approved = この口座への入金を認めました。
ops-payout-rejected = この口座は承認しませんでした。この口座には入金されません。加盟店に別の口座を登録してもらってください。

settlement-title = 精算と振込
settlement-ops-title = 営業日ごとの精算
settlement-explained = 営業日ごとに、売上から返金、所定の料率の決済手数料（決済ごとに切り捨て）、その日の手数料合計に対する消費税10%（1回だけ切り捨て）を差し引いた金額を振込先口座へお振り込みします。差引額が0円以下の日は翌営業日に繰り越します。
settlement-none = まだ精算はありません。
settlement-day = 営業日
settlement-merchant = 加盟店
settlement-payments = 決済件数
settlement-gross = 売上
settlement-refunds = 返金
settlement-fee = 手数料
settlement-tax = 手数料の消費税
settlement-net = 差引振込額
settlement-status = 精算
settlement-payout = 振込
settlement-status-settled = 精算済み
settlement-status-carried_over = 繰越
settlement-payout-held = 保留中
settlement-payout-sent = 銀行へ送信済み
settlement-payout-paid = 振込済み
settlement-payout-returned = 組戻し
settlement-show = 表示
settlement-run = この日を精算して振込を送る
settlement-day-not-over = この営業日はまだ締まっていません。締め時刻を過ぎてから精算できます。
settlement-bank-unavailable = 銀行に接続できないか、振込ファイルが受け付けられませんでした。精算は保存されています。後でもう一度実行してください。
settlement-day-invalid = 日付はYYYY-MM-DDの形で入力してください。
settlement-link = 日々の精算
## ウォレット：残高、支払い、ワンタイムコード

wallet-only-title = ウォレットのアカウント専用です
wallet-only = このページはウォレットのアカウント用です。加盟店スタッフと運営者にはウォレットがありません。
wallet-title = ウォレット
wallet-balances = 残高
wallet-balance-total = 合計
wallet-balance-money = マネー
wallet-balance-lite = マネーライト（前払い）
wallet-balance-points = ポイント
wallet-balances-order = 支払いにはポイント、マネーライト、マネーの順に使われます。
wallet-pay-link = レジで支払う（コードを表示）
wallet-scan-link = お店のコードを読み取って支払う
wallet-funding-link = 銀行口座とチャージ
wallet-history = お支払い
wallet-history-empty = お支払いはまだありません。
wallet-history-older = それより前のお支払い
wallet-back = ウォレットに戻る
wallet-awaiting-title = 確認待ちのお支払い
wallet-step-up-done = 本人確認ができました。お支払いを確定してください。
wallet-payment-title = お支払い
wallet-payment-missing = そのお支払いはこのウォレットにありません。
wallet-confirmation-code = 確認番号：
wallet-confirmation-why = この番号をレジの係員に見せてください。係員の画面にも、このお支払いの同じ番号が表示されます。
wallet-merchant = 加盟店
wallet-store = 店舗
wallet-amount = 金額
wallet-refunded = 返金済み
wallet-status = 状態
wallet-time = 日時
wallet-status-succeeded = 支払い済み
wallet-status-requires-confirmation = あなたの確認待ち
wallet-status-held = 確認中
wallet-status-pending = 処理中
wallet-status-failed = 失敗
wallet-status-canceled = 取消済み
wallet-status-voided = 無効：お金はウォレットに戻りました
wallet-status-refunded = 返金済み
wallet-status-partially-refunded = 一部返金済み
wallet-confirm-why = このお支払いは、加盟店に支払われる前にあなたの確認が必要です。加盟店と金額を確かめてください。
wallet-confirm = 支払いを確定する
wallet-cancel = 支払いを取り消す
wallet-confirmed-title = お支払いを確定しました
wallet-confirmed = お支払いが完了しました。確認番号をレジの係員に見せてください。
wallet-canceled-title = お支払いを取り消しました
wallet-canceled = お支払いを取り消し、お金はウォレットに戻りました。
wallet-not-pending = このお支払いはもう確認待ちではありません（決定済みか、期限切れです）。
wallet-declined = お支払いは承認されませんでした。
wallet-declined-funds = 承認されませんでした：ウォレットの残高が足りません。
wallet-declined-limit = 承認されませんでした：1回のお支払いの上限を超えています。
wallet-not-accepting = この加盟店または店舗は、現在お支払いを受け付けていません。
wallet-not-possible = このお支払いではその操作はできません。
wallet-pay-title = コードで支払う
wallet-pay-setup = このブラウザで支払えるように設定する
wallet-pay-setup-why = 支払いコードを表示するには、このブラウザを一度だけ設定してください。鍵はこのブラウザの中に保管され、外に取り出すことはできません。
wallet-pay-working = 設定しています…
wallet-pay-ready = このコードをレジの係員に見せてください。1回だけ使えます。
wallet-pay-dead = このブラウザのコードはもう使えません（サインアウトした、アカウントがロックされた、または別の設定に置き換えられました）。支払うにはもう一度設定してください。
wallet-pay-unsupported = このブラウザでは支払い用の鍵を安全に保管できません。最新のブラウザをお使いください。
wallet-pay-failed = 設定できませんでした。
wallet-pay-countdown = { $seconds } 秒後に新しいコードになります。
wallet-pay-qr-label = QRコードの支払いコード
wallet-pay-digits = バーコード用のレジには、同じコードを数字で：
wallet-pay-noscript = 支払いコードの表示にはJavaScriptが必要です。
funding-title = 銀行口座とチャージ
funding-no-bank = このサーバーでは銀行と接続していないため、チャージできません。
funding-accounts = 登録済みの銀行口座
funding-accounts-none = まだ銀行口座が登録されていません。
funding-link = 銀行口座を登録する
funding-link-why = ご本人名義の口座に限ります。銀行から届く口座名義を登録済みのお名前と照合し、異なる場合は当社で確認します。
funding-link-step-up = まず2段階認証で本人確認をする
funding-bank-code = 金融機関コード（4桁）
funding-branch-code = 支店コード（3桁）
funding-account-type = 預金種目
funding-type-ordinary = 普通
funding-type-current = 当座
funding-type-savings = 貯蓄
funding-account-number = 口座番号（7桁）
funding-link-submit = 口座を登録する
funding-unlink = 登録を解除
funding-top-up = チャージ
funding-top-up-needs-account = まず銀行口座を登録してください。
funding-top-up-from = 引き落とし口座
funding-top-up-amount = 金額（円）
funding-top-up-limits = 1回あたり{ $amount }まで。銀行での引き落とし確認後に入金されます。
funding-top-up-submit = チャージする
funding-top-ups = チャージ履歴
funding-top-ups-none = まだチャージはありません。
funding-status-linked = 登録済み
funding-status-review = 確認待ち
funding-status-rejected = 否認
funding-status-unlinked = 登録解除
funding-status-pending = 銀行の確認待ち
funding-status-credited = 入金済み
funding-status-failed = 銀行が受け付けませんでした
funding-status-over-cap = 保留中（保有上限超過）
funding-ops-title = 入金管理
funding-ops-admins = 銀行口座の判断とポイント付与は管理者のみが行えます。
funding-ops-reviews = 確認待ちの銀行口座
funding-ops-reviews-why = 銀行の口座名義が登録済みの氏名と一致しませんでした。本人名義であると確信できる場合のみ承認してください。
funding-ops-reviews-none = 確認待ちはありません。
funding-ops-legal-name = 登録氏名：
funding-ops-approve = 承認
funding-ops-reject = 否認
funding-ops-points = キャンペーンポイントを付与する
funding-ops-points-why = 1回あたり{ $amount }まで。同じ利用者に同じ参照番号で付与できるのは1回のみです。
funding-ops-user = 利用者ID
funding-ops-points-amount = ポイント
funding-ops-campaign = キャンペーン名
funding-ops-reference = 参照番号
funding-ops-grant = ポイントを付与する
funding-ops-grants = 最近の付与
merchant-payments-title = 決済
merchant-payments-status = 状態
merchant-payments-store = 店舗
merchant-payments-any = すべて
merchant-payments-from = 開始日
merchant-payments-to = 終了日
merchant-payments-filter = 表示
merchant-payments-export = この条件の決済をCSVで書き出す
merchant-payments-live = ライブ表示中：Anshinが記録した新しい決済が上に表示されます。
merchant-payments-live-new = 新しい決済、確認番号：
merchant-payments-code = 確認番号
merchant-payments-amount = 金額
merchant-payments-when = 日時
merchant-payments-none = 該当する決済はありません。
merchant-payments-older = 以前の決済
merchant-payment-title = 決済の詳細
merchant-payments-refunded = 返金済み
merchant-payments-id = 決済ID
merchant-payments-terminal = レジ
merchant-payments-reference = 管理番号
merchant-payments-events = 経過
merchant-payments-refund = 返金する
merchant-payments-refund-amount = 返金額（円）
merchant-payments-refund-reason = 理由（任意）
merchant-payments-refund-invalid = 金額（1円から返金できる残額まで）と理由（200文字まで）をご確認ください。
merchant-payments-refund-too-much = この決済で返金できる残額を超えています。
merchant-payments-not-refundable = この決済は返金できません。決済が完了していないか、全額返金済みです。
merchant-payments-refund-failed = 今は返金できませんでした。しばらくしてからもう一度お試しください。
merchant-payments-status-name = { $status ->
    [succeeded] 完了
    [held] 審査のため保留中
    [requires_confirmation] お客様の確認待ち
    [refunded] 返金済み
    [partially_refunded] 一部返金済み
    [canceled] 取消
    [voided] 無効（お客様へ返金）
   *[other] { $status }
}
## 店舗のコードを読み取って支払う

pay-scan-title = コードを読み取って支払う
pay-scan-intro = お店のAnshinコードを撮影する（PNG）か、コードの文字列を入力してください。支払う前に、お店の登録名が表示されます。
pay-scan-photo = コードの写真（PNG）
pay-scan-payload = またはコードの文字列
pay-scan-submit = コードを確認する
pay-scan-safety = Anshinは、コードがAnshinの発行したものかを確かめ、コードに印刷された名前ではなく、お店の登録名を表示します。
pay-refused-title = このコードでは支払えません
pay-refused = この支払いは進められません。店員に確認してください。
pay-declined = 支払いが承認されませんでした。ほかの支払い方法を店員に確認してください。
pay-declined-funds = ウォレットの残高が足りません。チャージするか、別の方法で支払ってください。
pay-declined-limit = 1回の支払いの上限を超えています。
pay-confirm-title = 支払い先を確認してください
pay-confirm-check = いまいるお店かどうか確認してください。目の前のお店と名前が違う場合は、支払わずに店員に知らせてください。
pay-confirm-merchant = 加盟店（登録名）
pay-confirm-store = 店舗
pay-confirm-amount = 金額
pay-confirm-enter-amount = 金額（円）
pay-confirm-pay = 支払う
pay-confirm-cancel = 支払わない
pay-done-title = 支払いました
pay-held-title = 支払いは保留中です
pay-done-paid = { $amount }を支払いました。
pay-held = 支払いは確認のため保留されています。解除されるとお店に表示されます。
pay-done-code = 確認番号：
pay-done-show = この番号を店員に見せてください。お店の画面にも同じ番号が表示されます。
pay-done-again = もう一度支払う
merchant-poster = QRポスター：
merchant-poster-png = PNG
merchant-poster-svg = SVG
pay-scan-camera = カメラで読み取る

## レジ画面
till-title = レジ
till-link = レジ：支払いを受け付ける
till-store = 店舗
till-amount = 金額（円）
till-no-store = 営業中の店舗がありません。マネージャーが加盟店ポータルで店舗を再開できます。
till-take-code = お客様のコードを読み取る
till-customer-code = お客様のコード（スキャンするか、数字を入力）
till-charge = 支払いを受け付ける
till-show-code = お客様に読み取ってもらうコードを表示する
till-show = コードを表示
till-scan-this = お客様にAnshinウォレットでこのコードを読み取ってもらってください。結果はこの画面に自動で表示されます。
till-qr-alt = この会計のコード
till-request-over = このコードは使えなくなりました（有効期限切れか取り消し済み）。新しいコードを作ってください。
till-again = 次の会計
till-paid = お支払いが完了しました。
till-waiting-customer = お客様のウォレットでの確認を待っています。まだ商品をお渡ししないでください。
till-waiting-review = お支払い前の確認中です。まだ商品をお渡ししないでください。
till-not-paid = お支払いは行われませんでした（取り消し、または確認されませんでした）。別の方法でのお支払いをお願いしてください。
till-confirmation = 確認番号
till-compare = お客様の画面にも { $code } が表示されているはずです。番号が違う、または表示がない画面は支払いではありません。
till-refused-title = 支払いを受け付けられませんでした
till-code-expired = お客様のコードの有効期限が切れています。新しいコードを表示してもらってください。
till-code-used = お客様のコードは使用済みです。新しいコードを表示してもらってください。
till-code-invalid = 有効なお客様コードではありません。もう一度表示してもらってください。
till-declined = お断りされました。ウォレットでこの金額は支払えません。別の方法でのお支払いをお願いしてください。
till-invalid = 1円から1,000,000円までの金額と、お客様のコードを入力してください。
till-failed = 支払いを受け付けられませんでした。もう一度お試しください。
threeds-challenge-title = カード会社での本人確認
threeds-challenge-lead = カード会社がご本人であることを確認します。カード会社のページへ進んでください。確認後、この画面に戻ります。
threeds-continue = 次へ
threeds-result-title = カードの確認結果
threeds-card-active = カードをウォレットに登録しました。
threeds-card-failed = カード会社でご本人であることが確認できなかったため、カードは登録されませんでした。
threeds-top-up-credited = チャージした金額をウォレットのライト残高に入金しました。
threeds-top-up-declined = チャージは承認されませんでした。カードへの請求はありません。
threeds-pending = カード会社からの回答をまだ受け取っていません。しばらくしてからウォレットをご確認ください。
threeds-back = ウォレットに戻る
cards-title = カード
cards-list = 登録済みのカード
cards-none = 登録されたカードはありません。
cards-status-authenticating = カード会社の確認待ち
cards-status-active = 利用可能
cards-status-failed = 登録できませんでした
cards-status-removed = 削除済み
cards-remove = 削除
cards-add = カードを登録
cards-add-why = カード番号・有効期限・セキュリティコードをカードネットワークで確認したうえで、カード会社がご本人であることを確認します（3Dセキュア）。セキュリティコードは一度だけ使い、保存しません。画面に表示されるのは下4桁だけです。
cards-number = カード番号
cards-exp-month = 有効期限（月・MM）
cards-exp-year = 有効期限（年・YYYY）
cards-security-code = セキュリティコード
cards-add-submit = カードを登録する
cards-top-up = カードからチャージ
cards-top-up-needs-card = 先にカードを登録してください。
cards-top-up-from = カード
cards-top-up-amount = 金額（円）
cards-top-up-limits = 1回あたり{ $amount }まで。カードからのチャージはライト残高に入ります（お店でのお支払いに使え、送金・出金はできません）。
cards-top-up-submit = チャージする
cards-top-ups = カードからのチャージ
cards-top-ups-none = カードからのチャージはまだありません。
cards-top-up-status-authenticating = カード会社の確認待ち
cards-top-up-status-authorising = カードに請求中
cards-top-up-status-credited = 入金済み
cards-top-up-status-declined = 承認されませんでした
wallet-cards-link = カード（カードからチャージ）
reports-title = 規制報告
reports-as-of = 基準日（日本時間の終わり）
reports-show = 表示
reports-why = 日本時間のその日の終わりまでの元帳の記帳から集計します。ライト残高は前払式支払手段です。3月31日と9月30日の未使用残高が1,000万円を超える場合、その2分の1以上を供託する必要があります。マネー残高は資金移動業の利用者のための資金で、履行保証金で全額を保全する必要があります。
reports-not-base-date = この日は基準日（3月31日・9月30日）ではありません。
reports-unused-prepaid = 前払式支払手段（ライト）の未使用残高
reports-prepaid-holders = ライト残高のあるウォレット数
reports-deposit-required = 必要な発行保証金
reports-transfer-money = 資金移動業の利用者のマネー残高
reports-guarantee-required = 必要な履行保証金
reports-points = キャンペーンポイント残高（参考）
kyc-review-title = 担当者の確認待ちの本人確認
kyc-review-why = ここにある本人確認は自動では完了しませんでした（登録と氏名・生年月日が異なる、書類を読み取れなかった、または確認サービスから回答がない）。登録内容・入力内容・書類から読み取った内容を比べ、書類で確認できるものだけを承認してください。理由は監査ログに残ります。
kyc-review-admins = 判断できるのは管理者のみです。アナリストは閲覧のみできます。
kyc-review-none = 確認待ちはありません。
kyc-review-registered = 登録氏名
kyc-review-submitted = 利用者の入力
kyc-review-read = 書類から読み取った内容
kyc-review-reason = 理由（監査ログに残ります）
kyc-review-kana = 書類に記載の氏名（カタカナ、承認時のみ）
kyc-review-approve = 承認
kyc-review-reject = 却下

# Transfers, requests for money and withdrawals
send-title = 送金
send-why = 送金できるのはマネー残高のみです（ライト残高とポイントは送れません）。送る側も受け取る側も本人確認が必要です。
send-contact = 受取人のメールアドレスまたは電話番号
send-find = 受取人を探す
send-step-up-hint = 1回に{ $amount }を超えて送るには2段階認証が必要です。
send-step-up-first = 先に本人確認をする
send-confirm-payee = 送り先がこの方で間違いないか確認してください：
send-amount = 金額（円）
send-message = メッセージ（任意）
send-submit = 送金する
send-someone-else = 別の人に送る
transfers-title = 送金と請求
transfers-list = 送金履歴
transfers-none = 送金履歴はまだありません。
transfers-sent = 送り先
transfers-received = 送り主
requests-title = 請求
requests-new = お金を請求する
requests-why = 支払ってもらうためのリンク（とQRコード）を作ります。開いた人にはあなたの名前と金額が表示され、1回だけ支払えます。
requests-create = 請求を作る
requests-list = あなたの請求
requests-none = 請求はまだありません。
requests-from = 請求者
requests-status = 状態
requests-status-open = 受付中
requests-status-paid = 支払い済み
requests-status-canceled = 取り消し済み
requests-status-expired = 期限切れ
requests-share = このリンクを共有するか、コードを読み取ってもらってください：
requests-qr-label = この請求へのリンクのQRコード
requests-cancel = 請求を取り消す
requests-check = 支払う前に名前と金額を確認してください。
requests-pay = { $amount }を支払う
withdraw-title = 出金
withdraw-why = 出金先は本人確認済みのご本人名義の銀行口座に限られます。出金のたびに2段階認証が必要です。名義が完全に一致しない口座は、担当者が確認してからお振り込みします。
withdraw-needs-account = 先にご本人名義の銀行口座を登録してください。
withdraw-step-up = 本人確認をする（出金ごとに必要です）
withdraw-to = 出金先の口座
withdraw-submit = 出金する
withdraw-list = 出金履歴
withdraw-none = 出金履歴はまだありません。
withdraw-status-review = 確認中
withdraw-status-queued = 受付済み
withdraw-status-sent = 銀行へ送信済み
withdraw-status-paid = 振込完了
withdraw-status-returned = 返却（残高に戻しました）
withdraw-status-rejected = 承認されませんでした
withdraw-status-expired = 期限切れ（振込なし）
withdraw-review-title = 確認待ちの出金
withdraw-review-why = 口座名義が全銀キーで本人確認済みの名前と完全には一致しません。判断するまで資金は確保されています。ご本人の口座と確認できた場合のみ承認してください。
withdraw-review-none = 確認待ちの出金はありません。
withdraw-review-holder = 口座名義：
withdraw-review-verified = 確認済みの名前：
withdraw-review-note = メモ
withdraw-check-mismatch = 名前が一致しません。
withdraw-check-no-kana = 本人確認の情報に比較できるカナがありません。
withdraw-check-exact = 名前が一致しています。
wallet-send-link = 送金
wallet-transfers-link = 送金と請求
wallet-withdraw-link = 出金
ops-withdrawals-link = 確認待ちの出金
kyc-page-title = 本人確認
kyc-page-verified = 本人確認が完了しています。送金と出金ができます。
kyc-page-unverified = まだ本人確認が完了していません。チャージとお店での支払いはできます。送金や出金には、本人確認書類と顔写真で本人確認をしてください。
kyc-page-attempt-pending = 直近の確認は処理中です。
kyc-page-attempt-review = 直近の確認はAnshinの担当者が確認しています。
kyc-page-attempt-rejected = 直近の確認は完了できませんでした。
kyc-page-attempt-verified = 直近の確認は完了しました。
kyc-page-step-up = 先に本人確認をする（書類を送るために必要です）
kyc-page-document = 書類
kyc-page-doc-drivers-license = 運転免許証
kyc-page-doc-my-number-card = マイナンバーカード
kyc-page-doc-residence-card = 在留カード
kyc-page-number = 書類の番号
kyc-page-name = 氏名（書類のとおり）
kyc-page-kana = 氏名のカタカナ（書類に記載がある場合）
kyc-page-birth = 生年月日
kyc-page-address = 住所
kyc-page-selfie = 顔写真
kyc-page-submit = 本人確認に送る
## vcard（issue 8 item 8）：ウォレットのバーチャルカード
wallet-virtual-card-link = バーチャルカード（ネットショップ用）
step-up-for-reveal-card = バーチャルカードの番号を表示するには、2段階認証でご本人であることを確認してください。
vcard-title = バーチャルカード
vcard-why = ウォレットの残高で支払うネットショップ用のプリペイドカード番号です。ライト残高から、足りないときはマネー残高から支払います。番号は2段階認証のあとにだけ表示され、1分後にまた隠れます。買い物をしないときは停止し、番号が漏れたおそれがあれば再発行してください。
vcard-none = このウォレットにはまだバーチャルカードがありません。
vcard-issue = バーチャルカードを発行する
vcard-number = カード番号
vcard-brand = ブランド
vcard-expiry = 有効期限
vcard-status = 状態
vcard-limit = 1回の利用上限（円）
vcard-masked-soon = 番号は1分後にまた隠れます。書き留めたり、人に教えたりしないでください。
vcard-status-active = ネットショップで使えます
vcard-status-frozen = 停止中：すべての利用をお断りします
vcard-status-replaced = 再発行済み
vcard-reveal = 番号を表示する
vcard-freeze = 停止する
vcard-unfreeze = 停止を解除する
vcard-replace-why = 再発行するとカード番号が新しくなり、古い番号はその時点から使えなくなります。
vcard-replace = 番号を再発行する
vcard-limits = 利用制限
vcard-blocked = 次の種類のお店での利用をお断りする
vcard-category-gambling = ギャンブル・くじ
vcard-category-quasi-cash = 送金・暗号資産など現金に近いもの
vcard-category-digital-goods = ゲーム・アプリ・デジタルコンテンツ
vcard-category-travel = 航空会社・ホテル・旅行代理店
vcard-category-adult = アダルト・出会い系
vcard-save-limits = 利用制限を保存する
vcard-authorizations = 最近の利用
vcard-authorizations-none = まだ利用はありません。
vcard-auth-approved = 承認済み（金額を確保中）
vcard-auth-declined = お断り
vcard-auth-settled = 支払い済み
vcard-auth-reversed = お店が取り消し
vcard-auth-expired = 確保を解除
vcard-decline-insufficient-funds = 残高不足
vcard-decline-over-transaction-limit = 1回の利用上限を超えています
vcard-decline-cooling-off = 連絡先の変更またはパスワードの再設定から間もないため
vcard-decline-blocked-category = お断りに設定したお店の種類です
vcard-decline-frozen = カードが停止中です
vcard-decline-expired-card = カードの有効期限切れです
vcard-decline-invalid-card = カード情報が違います（または古い番号です）
vcard-decline-currency = 円以外の通貨です
