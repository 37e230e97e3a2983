//! Sign-in policy defaults. Deployments may override the lifetimes and the
//! limits through settings; these are the values when nothing is set.

/// Digits in a confirmation code.
pub const CODE_LENGTH: usize = 6;

/// How long a confirmation code can be used, in seconds (15 minutes).
pub const CODE_LIFETIME_SECONDS: i64 = 15 * 60;

/// Consecutive wrong codes after which a user's account is locked.
pub const ATTEMPT_LIMIT: u32 = 7;

/// How long a pending sign-in (password accepted, code not yet entered)
/// lasts, in seconds: a little longer than one code, so the last code sent
/// can still be entered.
pub const PENDING_SIGN_IN_SECONDS: i64 = 20 * 60;

/// How long a session lasts, in seconds (12 hours).
pub const SESSION_LIFETIME_SECONDS: i64 = 12 * 60 * 60;

/// Seconds a user waits before another code can be sent.
pub const RESEND_AFTER_SECONDS: i64 = 30;

/// Codes one user may be sent in one window of [`SEND_WINDOW_SECONDS`].
pub const SENDS_PER_WINDOW: u32 = 5;

/// The window in which [`SENDS_PER_WINDOW`] applies, in seconds (1 hour).
pub const SEND_WINDOW_SECONDS: i64 = 60 * 60;

/// Largest request body any endpoint accepts, in bytes.
pub const MAX_BODY_BYTES: usize = 4 * 1024;

/// Shortest password a user may choose.
pub const MIN_PASSWORD_LENGTH: usize = 12;

/// Wrong passwords for one username within [`PASSWORD_WINDOW_SECONDS`]
/// after which signing in as that username waits for the window to end.
pub const PASSWORD_FAILURE_LIMIT: u32 = 10;

/// The window for [`PASSWORD_FAILURE_LIMIT`], in seconds (15 minutes).
pub const PASSWORD_WINDOW_SECONDS: i64 = 15 * 60;
