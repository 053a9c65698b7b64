//! Passwords after NIST SP 800-63B: length, not composition; a blocklist of common passwords,
//! context words, repeats and sequences; and Argon2id hashing on a bounded pool, so that a storm
//! of sign-ups or logins cannot take the CPU that payments need.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;
use unicode_normalization::UnicodeNormalization;
use zxcvbn::matching::patterns::MatchPattern;

/// With a second factor 8 characters are enough; a password that stands alone needs 15 (NIST
/// SP 800-63B-4 §3.1.1.2).
pub const MIN_CHARS_WITH_SECOND_FACTOR: usize = 8;
pub const MIN_CHARS_ALONE: usize = 15;
/// Long enough for any passphrase; bounded so hashing cost stays bounded.
pub const MAX_CHARS: usize = 128;
/// The strength estimator looks at this many characters at most: its work grows quickly with
/// length, and a password this long is not guessed by brute force anyway.
const ESTIMATE_CHARS: usize = 100;
/// Words that belong to the service itself, always treated as context.
const SERVICE_WORDS: &[&str] = &["anshin", "安心", "wallet", "7pay"];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    #[error("use at least {min} characters")]
    TooShort { min: usize },
    #[error("use at most {max} characters")]
    TooLong { max: usize },
    #[error("this is one of the most common passwords; attackers try these first")]
    Common,
    #[error("it contains your name, e-mail, phone number, birth date or the service's name")]
    Personal,
    #[error("it is too easy to guess{}", .hint.as_deref().map(|h| format!(": {h}")).unwrap_or_default())]
    Guessable { hint: Option<String> },
    #[error("it appears in known data breaches, so attackers already try it")]
    Breached,
}

impl PasswordProblem {
    /// Stable code for the API's error envelope.
    pub fn code(&self) -> &'static str {
        match self {
            PasswordProblem::TooShort { .. } => "password_too_short",
            PasswordProblem::TooLong { .. } => "password_too_long",
            PasswordProblem::Common => "password_common",
            PasswordProblem::Personal => "password_personal",
            PasswordProblem::Guessable { .. } => "password_guessable",
            PasswordProblem::Breached => "password_breached",
        }
    }
}

/// What the password must not be built from: e-mail, names, phone, birth date (any format).
#[derive(Debug, Clone, Default)]
pub struct PasswordContext {
    words: Vec<String>,
}

impl PasswordContext {
    pub fn new() -> Self {
        Self::default()
    }

    /// The e-mail address, its local part and the local part's pieces.
    pub fn email(mut self, email: &str) -> Self {
        let email = email.to_lowercase();
        if let Some((local, domain)) = email.split_once('@') {
            self.words.push(local.to_owned());
            self.words.extend(local.split(|c: char| !c.is_alphanumeric()).map(str::to_owned));
            self.words.extend(domain.split('.').next().map(str::to_owned));
        }
        self.words.push(email);
        self
    }

    pub fn name(mut self, name: &str) -> Self {
        let name = name.to_lowercase();
        self.words.extend(name.split_whitespace().map(str::to_owned));
        self.words.push(name.split_whitespace().collect());
        self
    }

    /// The digits of a phone number, and its last eight and last four digits.
    pub fn phone(mut self, phone: &str) -> Self {
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        for tail in [8, 4] {
            if digits.len() > tail {
                self.words.push(digits[digits.len() - tail..].to_owned());
            }
        }
        self.words.push(digits);
        self
    }

    /// A birth date given as year, month, day, in the formats people type it.
    pub fn birth_date(mut self, year: u16, month: u8, day: u8) -> Self {
        let (y, yy) = (format!("{year:04}"), format!("{:02}", year % 100));
        let (m, d) = (format!("{month:02}"), format!("{day:02}"));
        for w in [
            format!("{y}{m}{d}"),
            format!("{d}{m}{y}"),
            format!("{m}{d}{y}"),
            format!("{yy}{m}{d}"),
            format!("{d}{m}{yy}"),
            format!("{m}{d}{yy}"),
            format!("{m}{d}"),
            format!("{d}{m}"),
            y,
        ] {
            self.words.push(w);
        }
        self
    }

    pub fn word(mut self, word: &str) -> Self {
        self.words.push(word.to_lowercase());
        self
    }

    fn all(&self) -> Vec<&str> {
        self.words
            .iter()
            .map(String::as_str)
            .chain(SERVICE_WORDS.iter().copied())
            .filter(|w| w.chars().count() >= 3)
            .collect()
    }
}

/// NFKC, as NIST asks, so that the same password typed on two keyboards is the same password.
pub fn normalize(password: &str) -> String {
    password.nfkc().collect()
}

/// Check a new password. Any Unicode is allowed, spaces included; no composition rules.
pub fn check(password: &str, context: &PasswordContext, has_second_factor: bool) -> Result<(), PasswordProblem> {
    let password = normalize(password);
    let chars = password.chars().count();
    let min = if has_second_factor { MIN_CHARS_WITH_SECOND_FACTOR } else { MIN_CHARS_ALONE };
    if chars < min {
        return Err(PasswordProblem::TooShort { min });
    }
    if chars > MAX_CHARS {
        return Err(PasswordProblem::TooLong { max: MAX_CHARS });
    }
    let sample: String = password.chars().take(ESTIMATE_CHARS).collect();
    let sample_chars = sample.chars().count();
    let words = context.all();
    let estimate = zxcvbn::zxcvbn(&sample, &words);
    for m in estimate.sequence() {
        let covered = m.j + 1 - m.i;
        if let MatchPattern::Dictionary(d) = &m.pattern {
            // zxcvbn does not export the dictionary type's name, only its Debug form.
            match format!("{:?}", d.dictionary_name).as_str() {
                "Passwords" if covered == sample_chars => return Err(PasswordProblem::Common),
                // A context word that makes up a good part of the password.
                "UserInputs" if covered >= 4.max(sample_chars / 3) => {
                    return Err(PasswordProblem::Personal);
                }
                _ => {}
            }
        }
    }
    // Fewer than 10^6 guesses (zxcvbn score below 2): repeats, sequences, keyboard walks,
    // dictionary words with a digit bolted on. (Any 8 characters count as 10^8 guesses at most,
    // so a stricter bar would quietly forbid the 8-character minimum NIST allows with MFA.)
    if u8::from(estimate.score()) < 2 {
        let hint = estimate.feedback().and_then(|f| f.warning()).map(|w| w.to_string());
        return Err(PasswordProblem::Guessable { hint });
    }
    Ok(())
}

/// Argon2id parameters: at least OWASP's minimum (19 MiB, 2 passes, 1 lane).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl HashParams {
    pub const OWASP_MINIMUM: HashParams = HashParams { memory_kib: 19 * 1024, iterations: 2, parallelism: 1 };

    fn argon2(self) -> Argon2<'static> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .expect("Argon2 parameters are validated at construction");
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// Every hashing slot is busy and the waiting line is full: answer 503, do not queue.
    #[error("password hashing is at capacity")]
    Busy,
    #[error("password hashing failed: {0}")]
    Internal(String),
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub ok: bool,
    /// The stored hash uses weaker parameters than today's: store `hash` of this password now.
    pub needs_rehash: bool,
}

/// Argon2id on a bounded pool: at most `workers` hashes at once (leave cores for payments), at
/// most `max_waiting` callers in line; beyond that callers get `Busy` at once.
#[derive(Clone)]
pub struct PasswordHasher {
    params: HashParams,
    workers: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
    dummy_hash: Arc<String>,
}

impl PasswordHasher {
    pub fn new(params: HashParams, workers: usize, max_waiting: usize) -> Result<Self, HashError> {
        if params.memory_kib < HashParams::OWASP_MINIMUM.memory_kib
            || params.iterations < HashParams::OWASP_MINIMUM.iterations
            || params.parallelism < 1
        {
            return Err(HashError::Internal("Argon2id parameters below the OWASP minimum".into()));
        }
        Params::new(params.memory_kib, params.iterations, params.parallelism, None)
            .map_err(|e| HashError::Internal(e.to_string()))?;
        // A real hash of a random password, so that checking an unknown account costs the same
        // as checking a real one (no enumeration by timing).
        let dummy = crate::storage::ids::random_hex_128();
        let dummy_hash = params
            .argon2()
            .hash_password(dummy.as_bytes())
            .map_err(|e| HashError::Internal(e.to_string()))?
            .to_string();
        Ok(PasswordHasher {
            params,
            workers: Arc::new(Semaphore::new(workers.max(1))),
            waiting: Arc::new(AtomicUsize::new(0)),
            max_waiting,
            dummy_hash: Arc::new(dummy_hash),
        })
    }

    /// One worker per core but one, so hashing never takes the whole machine.
    pub fn default_workers() -> usize {
        std::thread::available_parallelism().map(|n| n.get().saturating_sub(1).max(1)).unwrap_or(1)
    }

    pub fn params(&self) -> HashParams {
        self.params
    }

    /// Take a place in the hashing line now, or fail with `Busy` at once: a request that will
    /// need a hash reserves it before anything else is charged (throttles, database work), so a
    /// request shed for lack of capacity costs the caller nothing.
    pub fn reserve(&self) -> Result<HashSlot, HashError> {
        let waiting = self.waiting.fetch_add(1, Ordering::SeqCst);
        let leave = LeaveLine(self.waiting.clone());
        if waiting >= self.max_waiting + self.workers.available_permits() {
            metrics::counter!("anshin_password_hash_shed_total").increment(1);
            return Err(HashError::Busy);
        }
        Ok(HashSlot { hasher: self.clone(), _leave: leave })
    }

    /// Hash a (normalized) password into a PHC string.
    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        self.reserve()?.hash(password).await
    }

    /// Check a password against a stored PHC string (constant-time comparison inside argon2).
    pub async fn verify(&self, stored: &str, password: &str) -> Result<Verified, HashError> {
        self.reserve()?.verify(stored, password).await
    }

    /// Spend the same work as `verify` for an account that does not exist, and fail.
    pub async fn verify_dummy(&self, password: &str) -> Result<Verified, HashError> {
        self.reserve()?.verify_dummy(password).await
    }
}

/// A reserved place in the hashing line. Every CPU-heavy step (the strength estimate, Argon2id)
/// runs on a blocking thread under one of the pool's worker permits, never on the async runtime.
pub struct HashSlot {
    hasher: PasswordHasher,
    _leave: LeaveLine,
}

impl HashSlot {
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, HashError> {
        let _permit = self.hasher.workers.acquire().await.map_err(|_| HashError::Busy)?;
        tokio::task::spawn_blocking(work).await.map_err(|e| HashError::Internal(e.to_string()))
    }

    /// The local rules for a new password (`check`), off the async runtime.
    pub async fn check(
        &self,
        password: &str,
        context: &PasswordContext,
        has_second_factor: bool,
    ) -> Result<Result<(), PasswordProblem>, HashError> {
        let (password, context) = (password.to_owned(), context.clone());
        self.run(move || check(&password, &context, has_second_factor)).await
    }

    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let (params, password) = (self.hasher.params, normalize(password));
        self.run(move || {
            params
                .argon2()
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| HashError::Internal(e.to_string()))
        })
        .await?
    }

    pub async fn verify(&self, stored: &str, password: &str) -> Result<Verified, HashError> {
        let (current, stored, password) = (self.hasher.params, stored.to_owned(), normalize(password));
        self.run(move || {
            let parsed = PasswordHash::new(&stored).map_err(|e| HashError::Internal(e.to_string()))?;
            let params = Params::try_from(&parsed).map_err(|e| HashError::Internal(e.to_string()))?;
            let ok = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
            let weaker = params.m_cost() < current.memory_kib
                || params.t_cost() < current.iterations
                || params.p_cost() < current.parallelism
                || parsed.algorithm.as_str() != "argon2id";
            Ok(Verified { ok, needs_rehash: ok && weaker })
        })
        .await?
    }

    pub async fn verify_dummy(&self, password: &str) -> Result<Verified, HashError> {
        let dummy = self.hasher.dummy_hash.clone();
        self.verify(&dummy, password).await.map(|_| Verified { ok: false, needs_rehash: false })
    }
}

struct LeaveLine(Arc<AtomicUsize>);

impl Drop for LeaveLine {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> PasswordContext {
        PasswordContext::new()
            .email("taro.yamada@example.jp")
            .name("Taro Yamada")
            .phone("+81 90-1234-5678")
            .birth_date(1990, 4, 15)
    }

    #[test]
    fn length_rules_follow_nist() {
        let with_mfa = |p: &str| check(p, &PasswordContext::new(), true);
        let alone = |p: &str| check(p, &PasswordContext::new(), false);
        assert_eq!(with_mfa("Kq7#vR2"), Err(PasswordProblem::TooShort { min: 8 }));
        assert_eq!(with_mfa("Kq7#vR2m"), Ok(()));
        assert_eq!(alone("Kq7#vR2mZp!4tL"), Err(PasswordProblem::TooShort { min: 15 }), "14 characters alone");
        assert_eq!(alone("Kq7#vR2mZp!4tLx"), Ok(()));
        assert_eq!(with_mfa(&"x7Q!".repeat(33)), Err(PasswordProblem::TooLong { max: 128 }));
    }

    #[test]
    fn any_unicode_and_spaces_no_composition_rules() {
        assert_eq!(
            check("purple monkey dishwasher", &PasswordContext::new(), false),
            Ok(()),
            "all lowercase passphrase"
        );
        assert_eq!(check("すもももももももものうち庭には二羽", &PasswordContext::new(), false), Ok(()));
        assert_eq!(check("ゆっくり 走る 緑の 電車 です", &PasswordContext::new(), false), Ok(()));
        // 64 characters with spaces and Unicode are accepted whole, never truncated.
        let long = "Ünïcödé pässwörd with spaces, long enough to be sixty-four chars";
        assert_eq!(long.chars().count(), 64);
        assert_eq!(check(long, &PasswordContext::new(), false), Ok(()));
    }

    #[test]
    fn common_passwords_are_refused() {
        for p in ["password", "password1", "12345678", "qwertyuiop", "iloveyou", "passw0rd", "sunshine", "baseball1"] {
            let r = check(p, &PasswordContext::new(), true);
            assert!(matches!(r, Err(PasswordProblem::Common | PasswordProblem::Guessable { .. })), "{p}: {r:?}");
        }
        assert_eq!(check("trustno1", &PasswordContext::new(), true), Err(PasswordProblem::Common));
    }

    #[test]
    fn context_words_are_refused() {
        for p in [
            "taro.yamada",
            "yamada1990",
            "19900415",
            "15041990",
            "taro12345678",
            "anshin2026",
            "Anshin!2026",
            "12345678Taro",
        ] {
            let r = check(p, &ctx(), true);
            assert!(
                matches!(
                    r,
                    Err(PasswordProblem::Personal | PasswordProblem::Common | PasswordProblem::Guessable { .. })
                ),
                "{p}: {r:?}"
            );
        }
        assert_eq!(check("yamada-taro", &ctx(), true), Err(PasswordProblem::Personal));
        assert!(check("90-1234-5678", &ctx(), true).is_err());
    }

    #[test]
    fn repeats_and_sequences_are_refused() {
        for p in [
            "aaaaaaaaaaaaaaaa",
            "abcdefghijklmnop",
            "1111111111111111",
            "abcabcabcabcabc1",
            "qwertyuiopasdfgh",
            "1234567890123456",
        ] {
            assert!(check(p, &PasswordContext::new(), false).is_err(), "{p}");
        }
    }

    #[tokio::test]
    async fn hashes_are_argon2id_at_owasp_parameters_and_verify() {
        let hasher = PasswordHasher::new(HashParams::OWASP_MINIMUM, 1, 8).unwrap();
        let hash = hasher.hash("correct horse battery staple").await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(hasher.verify(&hash, "correct horse battery staple").await.unwrap().ok);
        assert!(!hasher.verify(&hash, "correct horse battery stapl").await.unwrap().ok, "no truncation");
        // NFKC: a full-width password equals its half-width form.
        let fw = hasher.hash("ＡＢＣｄｅｆ１２３４５").await.unwrap();
        assert!(hasher.verify(&fw, "ABCdef12345").await.unwrap().ok);
        assert!(!hasher.verify_dummy("anything").await.unwrap().ok);
    }

    #[tokio::test]
    async fn weaker_stored_hashes_ask_for_a_rehash() {
        let stronger = HashParams { memory_kib: 24 * 1024, ..HashParams::OWASP_MINIMUM };
        let old = PasswordHasher::new(HashParams::OWASP_MINIMUM, 1, 8).unwrap();
        let new = PasswordHasher::new(stronger, 1, 8).unwrap();
        let hash = old.hash("correct horse battery staple").await.unwrap();
        let v = new.verify(&hash, "correct horse battery staple").await.unwrap();
        assert_eq!(v, Verified { ok: true, needs_rehash: true });
        let v = new.verify(&hash, "wrong").await.unwrap();
        assert_eq!(v, Verified { ok: false, needs_rehash: false }, "never rehash on a failed check");
        assert!(PasswordHasher::new(HashParams { memory_kib: 4096, ..HashParams::OWASP_MINIMUM }, 1, 8).is_err());
    }

    // Item 20: on a runtime with a single thread, other tasks keep running while a password is
    // checked and hashed; were the work done on the runtime, the ticker would stand still.
    #[tokio::test(flavor = "current_thread")]
    async fn checking_and_hashing_leave_the_async_runtime_free() {
        let hasher = PasswordHasher::new(HashParams::OWASP_MINIMUM, 1, 8).unwrap();
        let ticks = Arc::new(AtomicUsize::new(0));
        let ticker = {
            let ticks = ticks.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                    ticks.fetch_add(1, Ordering::SeqCst);
                }
            })
        };
        tokio::task::yield_now().await;
        let before = ticks.load(Ordering::SeqCst);
        let slot = hasher.reserve().unwrap();
        let long = "a quiet river lantern under the cedar trees of the old mountain road ".repeat(2);
        assert!(slot.check(&long[..120], &PasswordContext::new(), true).await.unwrap().is_ok());
        slot.hash(&long[..120]).await.unwrap();
        let during = ticks.load(Ordering::SeqCst) - before;
        ticker.abort();
        assert!(during >= 5, "the runtime stood still while hashing ({during} ticks)");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_storm_of_hashes_is_shed_not_queued() {
        let hasher = PasswordHasher::new(HashParams::OWASP_MINIMUM, 1, 2).unwrap();
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let h = hasher.clone();
                tokio::spawn(async move { h.hash("correct horse battery staple").await })
            })
            .collect();
        let results: Vec<_> = futures::future::join_all(tasks).await.into_iter().map(|r| r.unwrap()).collect();
        let busy = results.iter().filter(|r| matches!(r, Err(HashError::Busy))).count();
        let ok = results.iter().filter(|r| r.is_ok()).count();
        assert!(busy >= 15, "most of the storm is refused at once: {busy} busy, {ok} hashed");
        assert!(ok >= 1);
    }
}
