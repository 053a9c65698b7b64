//! The one error type of the identity context. The HTTP layer maps each variant to a status.

use super::password::{HashError, PasswordProblem};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("{message}")]
    Invalid { code: &'static str, message: String, param: &'static str },
    #[error("{0}")]
    Password(PasswordProblem),
    /// Wrong e-mail or password, unknown account, or an account that may not sign in now: one answer.
    #[error("the e-mail or password is wrong, or the account cannot sign in right now")]
    LoginFailed,
    #[error("the code is wrong")]
    CodeRejected { attempts_left: i64 },
    /// Expired, used up, or never valid: start again.
    #[error("the code has expired or was used up; ask for a new one")]
    CodeDead,
    #[error("sign in first")]
    Unauthenticated,
    /// The action needs a second factor given for it (a step-up grant for this action).
    #[error("confirm it is you with a second factor first")]
    StepUpRequired,
    #[error("too many attempts; try again later")]
    Throttled { retry_after_secs: i64 },
    #[error("{0}")]
    Conflict(&'static str),
    #[error("not allowed")]
    Forbidden,
    /// The flow needs a verified legal identity (eKYC or an operator's review) and the user has none.
    #[error("verify your identity first")]
    NotVerified,
    /// No eKYC provider is configured, or it cannot be reached now.
    #[error("the identity checker cannot be reached")]
    EkycUnavailable,
    #[error("not found")]
    NotFound,
    /// Hashing capacity is used up: shed the request before it costs anything else.
    #[error("the service is busy; try again shortly")]
    Busy,
    /// The database cannot be reached or written (outage, full disk): retry later.
    #[error("the service is unavailable; try again shortly")]
    Unavailable,
    #[error("internal error")]
    Internal(String),
}

impl IdentityError {
    pub(crate) fn invalid(code: &'static str, param: &'static str) -> impl FnOnce(String) -> IdentityError {
        move |message| IdentityError::Invalid { code, message, param }
    }
}

impl From<sqlx::Error> for IdentityError {
    fn from(e: sqlx::Error) -> Self {
        if crate::storage::is_unavailable(&e) {
            tracing::warn!(error = %e, "database unavailable");
            IdentityError::Unavailable
        } else {
            IdentityError::Internal(e.to_string())
        }
    }
}

impl From<HashError> for IdentityError {
    fn from(e: HashError) -> Self {
        match e {
            HashError::Busy => IdentityError::Busy,
            HashError::Internal(m) => IdentityError::Internal(m),
        }
    }
}
