# Anshin: エラーコードごとのメッセージ（日本語）。ページとAPIの両方で使います。
# エラーコード `code_rejected` の項目は `error-code-rejected` です。
# { $detail } は処理側が書いた英語の説明で、技術的な詳細を引用する項目だけが使います。

## ログインとコード

error-login-failed = メールアドレスかパスワードが違うか、このアカウントは現在ログインできません。しばらくしてからもう一度お試しいただくか、パスワードを再設定してください。
error-code-rejected = コードが正しくありません。あと{ $attempts }回入力できます。
error-code-expired = このコードは有効期限が切れたか、すでに使われています。最初からやり直して、新しいコードを受け取ってください。
error-not-signed-in = 先にログインしてください。
error-step-up-required = この操作の前に、この操作のための本人確認を2段階認証で行ってください。
error-enrolment-required = 先に認証アプリを設定してください。
error-too-many-attempts = 試行回数が上限に達しました。しばらく時間をおいてから、もう一度お試しください。
error-forbidden = この操作は許可されていません。
error-csrf-failed = ページを再読み込みしてから、もう一度お試しください。
error-factor-invalid = 認証アプリ・SMS・リカバリーコード・パスキーのいずれかを選んでください。
error-two-factors-required = 種類の異なる2段階認証を、ちょうど2つ入力してください（メールのコードは数えません）。
error-channel-not-allowed = メールでのコードは、アカウントのロックか、ログイン時に追加で求められた確認のときだけ送ります。
error-session-not-found = そのセッションはありません。
error-device-not-found = その端末はありません。
error-cancel-key-invalid = ロック解除のお知らせに書かれた取り消し用のキーを確認してください。
error-role-invalid = 役割を確認してください。
error-merchant-invalid = 加盟店の参照番号を確認してください。

## 入力フォーム

error-invalid = 入力内容を確認してください（{ $detail }）。
error-email-invalid = メールアドレスの形式が正しくありません。確認して、もう一度入力してください。
error-phone-invalid = 携帯電話番号を確認してください。例：090-1234-5678、または +81 90 1234 5678
error-legal-name-invalid = 氏名を、本人確認書類と同じ表記で100文字以内で入力してください。
error-date-of-birth-invalid = 生年月日を確認してください。正しい日付を、例のように入力してください（例：1990-04-01）。

## パスワード

error-password-too-short = パスワードは{ $min }文字以上にしてください。
error-password-too-long = パスワードは{ $max }文字以内にしてください。
error-password-common = よく使われているパスワードのため、使えません。攻撃者が真っ先に試すものです。別のパスワードにしてください。
error-password-personal = 氏名・メールアドレス・電話番号・生年月日・サービス名のいずれかが含まれています。別のパスワードにしてください。
error-password-guessable = 推測されやすいパスワードです。関係のない単語をいくつかつなげた、長めのパスフレーズにしてください。
error-password-breached = 過去のデータ漏えいで流出したことのあるパスワードです。攻撃者がすでに試しているため、別のパスワードにしてください。

## アカウントの状態と合わない操作

error-conflict = 現在のアカウントの状態では、この操作はできません（{ $detail }）。
error-conflict-email-taken = このメールアドレスのアカウントはすでにあります。ログインするか、パスワードを再設定してください。
error-conflict-totp-exists = 認証アプリはすでに設定されています。変更するときは、先に今の認証アプリを削除してください。
error-conflict-no-totp = 認証アプリは設定されていません。
error-conflict-keep-a-factor = スタッフと運用担当者は、2段階認証をなくすことはできません。先にパスキーを追加してください。
error-conflict-totp-not-started = 先に、認証アプリの追加を始めてください。
error-conflict-not-locked = このアカウントはロックされていません。
error-conflict-address-taken = この連絡先は、別のアカウントで使われています。
error-conflict-no-passkey = このアカウントにはパスキーが登録されていません。
error-conflict-no-phone = このアカウントには電話番号が登録されていません。
error-conflict-no-such-account = そのアカウントはありません。

## サービス

error-overloaded = ただいま混み合っています。少し待ってから、もう一度お試しください。
error-service-unavailable = ただいまサービスを利用できません。少し待ってから、もう一度お試しください。
error-internal-error = システムで問題が発生しました。お手数ですが、もう一度お試しください。
error-not-ready = サービスの準備ができていません（{ $detail }）
error-resource-missing = 指定されたものが見つかりません。
error-method-not-allowed = このエンドポイントは、そのHTTPメソッドを受け付けません。
error-payload-too-large = リクエストの本文が、このサーバーで受け付けられる大きさを超えています。
error-unsupported-media-type = リクエストの本文は application/json で送ってください。
error-bad-request = リクエストを解釈できませんでした。
error-body-not-json = リクエストの本文が正しいJSONではありません。
error-body-invalid = リクエストの本文に誤りがあります（{ $detail }）
error-query-invalid = クエリ文字列に誤りがあります（{ $detail }）
error-limit-invalid = limit は1から{ $max }までの数にしてください。
error-channel-invalid = channel には email・sms・in_app のいずれかを指定してください。
error-message-invalid = メッセージの内容に誤りがあります（{ $detail }）
error-idempotency-key-invalid = Idempotency-Key は、表示可能なASCII文字で1〜255文字にしてください。
error-idempotency-key-reused = この Idempotency-Key は、別の内容のリクエストですでに使われています。新しいリクエストには新しいキーを使ってください。
error-idempotency-request-in-progress = この Idempotency-Key のリクエストはまだ処理中です。少し待ってから再試行してください。
error-idempotency-secret-not-replayed = 最初の応答には一度しか表示しない秘密の情報が含まれていたため、再送できません。新しい Idempotency-Key で、この手順を最初からやり直してください。
error-nul-byte = リクエストに使えない文字（NUL）が含まれています。

## 加盟店

error-merchant-not-active = この加盟店は現在利用できない状態です。Anshin が利用を再開するまで、変更はできません。
error-legal-name-kana-invalid = 入力内容を確認してください：正式名称を、金融機関に届け出ているとおりカタカナで入力してください。
error-mcc-invalid = 入力内容を確認してください：業種コード（MCC）は4桁の数字です。例：5812
error-fee-rate-invalid = 入力内容を確認してください：手数料率は0〜1000のベーシスポイントで入力してください。
error-reason-invalid = 入力内容を確認してください：理由を1〜500文字で入力してください。
error-name-invalid = 入力内容を確認してください：店舗名を1〜100文字で入力してください。
error-postal-code-invalid = 入力内容を確認してください：郵便番号は7桁の数字です。例：150-0002
error-address-invalid = 入力内容を確認してください：住所を1〜200文字で入力してください。
error-label-invalid = 入力内容を確認してください：キーの名前を1〜100文字で入力してください。
error-store-invalid = この加盟店の店舗から選んでください。
error-url-invalid = WebhookのURLを確認してください：公開されたホスト名の https:// で始まるURLにしてください。ユーザー名・パスワード・フラグメント（# 以降）は含められません。
error-bank-code-invalid = 入力内容を確認してください：この金融機関コードの金融機関はありません。
error-branch-code-invalid = 入力内容を確認してください：この金融機関には、この支店コードの支店はありません。
error-account-type-invalid = 預金種目は「普通」「当座」「貯蓄」から選んでください。
error-account-number-invalid = 入力内容を確認してください：口座番号は7桁の数字です。
error-holder-name-invalid = 入力内容を確認してください：口座名義は、通帳に記載のとおりカタカナで入力してください。
error-conflict-not-awaiting-review = この加盟店は審査待ちではありません。ほかの管理者がすでに審査した可能性があります。
error-conflict-not-active = 停止できるのは、利用中の加盟店だけです。
error-conflict-not-suspended = 利用を再開できるのは、停止中の加盟店だけです。
error-conflict-store-limit = この加盟店は、登録できる店舗数の上限に達しています。
error-conflict-pos-key-limit = この加盟店は、有効なPOSキーの数の上限に達しています。使っていないキーを無効にしてください。
error-conflict-webhook-limit = この加盟店は、Webhookの送信先の数の上限に達しています。使っていない送信先を停止してください。
error-conflict-no-payout-change = 取り消せる振込先口座の変更はありません。
error-conflict-payout-not-awaiting-review = この振込先口座は、名義の確認待ちではありません。

error-bank-unavailable = 現在、銀行に接続できません（またはこのサーバーに銀行が設定されていません）。しばらくしてからお試しください。
error-bank-account-not-found = 該当する口座が銀行にありません。金融機関・支店・預金種目・口座番号をご確認ください。
error-bank-account-closed = この口座は解約済みです。
error-bank-account-not-linked = この口座はまだ使えません（確認待ち、否認、または登録解除済みです）。
error-bank-account-invalid = 口座情報をご確認ください（金融機関コード4桁、実在する支店コード3桁、口座番号7桁）。
error-over-top-up-limit = 1回のチャージ上限を超えています。
error-over-holding-cap = ウォレットの保有上限を超えるため、チャージできません。
error-over-daily-limit = 本日のチャージ上限を超えています。
error-cooling-off = 連絡先の変更またはパスワード再設定の直後のため、しばらくチャージできません。
error-too-many-streams = このセッションで開いているライブ表示が多すぎます。ほかのページを閉じてからお試しください。
error-last-event-id-invalid = Last-Event-ID にはイベント番号を指定してください。
error-after-invalid = after にはイベント番号（0以上）を指定してください。
## 店舗のコードの読み取り（店舗提示型の支払い）

error-qr-unreadable = Anshinで読み取れる支払いコードではありません。店員にもう一度コードを見せてもらうか、コードの文字列を入力してください。
error-qr-foreign = このコードはAnshinではなく、別の決済サービスのものです。そのサービスのアプリで支払うか、店員にAnshinのコードを確認してください。
error-qr-unsigned = このコードにはAnshinの署名がないため、お店の本物のコードではない可能性があります。このコードで支払わず、レジのコードを店員に確認してください。
error-qr-forged = このコードはAnshinが発行したものではありません。お店のコードの上に貼られたシールかもしれません。このコードで支払わず、店員に知らせてください。
error-qr-retired = このコードは現在使えません。お店に最新のコードを確認してください。
error-qr-expired = このコードは有効期限が切れています。店員に新しいコードを表示してもらってください。
error-qr-used = このコードはすでに支払いに使われています。店員に新しいコードを表示してもらってください。
error-qr-canceled = お店がこの会計を取り消しました。店員に新しいコードを表示してもらってください。
error-merchant-suspended = このお店は現在Anshinでの支払いを受け付けていません。別の方法で支払うか、お店に確認してください。
error-store-closed = この店舗は現在Anshinでの支払いを受け付けていません。ほかの支払い方法を店員に確認してください。
error-image-unreadable = 読み取れるPNG画像ではありません。コードをPNGで撮影して送るか、コードの文字列を入力してください。
error-image-no-code = 写真の中にQRコードが見つかりませんでした。コードに近づき、正面からピントを合わせて撮り直してください。
error-image-too-large = 写真が大きすぎます（1 MBまで）。小さめの写真を送ってください。
error-card-declined = このカードはご利用いただけません。入力内容をご確認いただくか、別のカードをご利用ください。
error-authentication-failed = カード会社でご本人であることが確認できませんでした。
error-authentication-unavailable = カード会社での本人確認（3Dセキュア）が完了しませんでした。時間をおいて再度お試しください。
error-authentication-attempted-over-cap = このカードの発行会社は3Dセキュアに対応していません。より少ない金額でチャージしてください。
error-over-monthly-limit = 今月のカードチャージ上限を超えるため、お取引できません。
error-card-network-unavailable = 現在カードネットワークに接続できません（またはこのサーバーに設定されていません）。時間をおいて再度お試しください。
error-card-number-invalid = カード番号をご確認ください（12〜19桁の数字）。
error-security-code-invalid = セキュリティコードをご確認ください（3桁、アメリカン・エキスプレスは4桁）。
error-expiry-invalid = 有効期限をご確認ください（月は1〜12、年を入力）。
error-conflict-card-limit = 1つのウォレットに登録できるカードは5枚までです。先に1枚削除してください。
error-conflict-card-unavailable = このカードはこのウォレットに登録できません。
error-conflict-card-not-active = このカードはまだご利用いただけません（カード会社の確認待ち、確認失敗、または削除済み）。
error-as-of-invalid = 日付をご確認ください（YYYY-MM-DD、当日までの日付）。

## 本人確認（eKYC）

error-identity-not-verified = 先に本人確認を完了してください。送金と出金には本人確認が必要です。
error-ekyc-unavailable = 現在、本人確認サービスに接続できません（またはこのサーバーに設定されていません）。しばらくしてからお試しください。
error-document-type-invalid = 運転免許証、マイナンバーカード、在留カードのいずれかを選んでください。
error-document-number-invalid = 書類の番号をご確認ください（書類に記載の英数字4〜20文字）。
error-kana-invalid = 氏名は書類の記載どおりカタカナで入力してください。
error-selfie-invalid = 自撮り写真のダイジェストは16進数の小文字64文字です。
error-status-invalid = status には review、pending、verified、rejected のいずれかを指定してください。
error-conflict-already-verified = 本人確認はすでに完了しています。
error-conflict-verification-in-progress = 本人確認の手続き中です。結果をお待ちください。
error-conflict-too-many-verifications = このアカウントでの本人確認の試行回数が上限に達しました。サポートにご連絡ください。
error-conflict-verification-not-in-review = この本人確認は確認待ちではありません。ほかの担当者がすでに判断した可能性があります。
error-conflict-user-already-verified = この利用者の本人確認はすでに完了しています。

# Transfers and withdrawals
error-insufficient-money = お断りしました：マネー残高が足りません（ライト残高とポイントは送金・出金できません）。
error-over-transfer-limit = お断りしました：1回の送金の上限を超えています。
error-over-daily-transfer-limit = お断りしました：本日の送金上限を超えます。
error-over-monthly-transfer-limit = お断りしました：今月の送金上限を超えます。
error-payee-over-holding-cap = お断りしました：受取人のウォレットが保有上限を超えます。
error-money-out-cooling-off = お断りしました：連絡先の変更またはパスワードの再設定から間もないため、しばらくの間ウォレットからお金を移せません。
error-own-wallet = お断りしました：ご自身のウォレットです。
error-account-not-active = お断りしました：このアカウントは現在送金できません。
error-too-many-payee-lookups = この1時間の受取人の検索回数が上限に達しました。しばらくしてからお試しください。
error-no-such-payee = そのアドレスで受け取れるウォレットがないか、確認の有効期限が切れました。受取人をもう一度検索してください。
error-payee-contact-invalid = 受取人のメールアドレスか電話番号のどちらか一方を入力してください。
error-note-invalid = メモの内容に誤りがあります（{ $detail }）
error-conflict-money-request-closed = この請求はすでに受け付けていません（支払い済み、取り消し済み、または期限切れです）。
error-conflict-too-many-money-requests = 受付中の請求が多すぎます。先にどれかを取り消してください。
error-conflict-withdrawal-not-in-review = この出金は確認待ちではありません。ほかの担当者がすでに判断した可能性があります。
error-form-invalid = フォームを読み取れませんでした（{ $detail }）
error-conflict-money-request-amount = この請求の金額は表示されていた金額と異なります。もう一度開いてください。
## vcard（issue 8 item 8）
error-per-transaction-limit-invalid = 1回の利用上限は1円から1,000,000円までの整数で入力してください。
error-conflict-virtual-card-exists = このウォレットにはすでにバーチャルカードがあります。
error-conflict-virtual-card-changed = カードの状態が変わりました。ページを再読み込みしてもう一度お試しください。
error-conflict-virtual-card-no-number = 空いているカード番号が見つかりませんでした。もう一度お試しください。
error-categories-invalid = お店の種類はそれぞれ1回だけ選んでください。
