//! The account's two-factor setting, as its System Administrators read and
//! change it.
//!
//! Invariants:
//! - Only a System Administrator of the account reads or changes it, and the
//!   account is always the one of the caller's session: no request names an
//!   account, so another account's setting cannot even be addressed.
//! - Turning 2FA on takes a confirmation code sent to the administrator for
//!   [`Purpose::EnableTwoFactor`], bound to the administrator's session: a
//!   sign-in code does not serve, and this code signs nobody in. Entries are
//!   counted toward the administrator's own lockout like any others. While
//!   users are not ready it also takes the administrator's acknowledgement.
//! - Turning 2FA off takes neither.
//! - A change is one conditional write that also records the audit event;
//!   of two administrators saving at once, one wins and the other is told.
//! - Saving the state the setting already has changes and records nothing,
//!   and answers the status as it is.
//! - Once 2FA is on, sessions started without a second factor end at their
//!   next request, except the enabling administrator's own (see
//!   [`crate::service::signin::SignIn::authenticate`]).

use std::sync::Arc;

use tracing::{info, instrument, warn};
use twofold_shared::admin::{ChangeTwoFactorRequest, Readiness, TwoFactorStatus};
use twofold_shared::api::SendCodeResponse;
use twofold_shared::{ConfirmationCode, Method};

use crate::clock::Clock;
use crate::courier::Courier;
use crate::digest::Token;
use crate::model::{Purpose, Session, TwoFactorChange, TwoFactorSetting, User};
use crate::random::Random;
use crate::service::readiness::readiness;
use crate::service::signin::{SignIn, SignInError};
use crate::store::{Store, StoreError};

/// Why a settings request was refused.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// Not signed in, not an administrator, or a code refused: as sign-in
    /// says.
    #[error(transparent)]
    SignIn(#[from] SignInError),
    /// Turning 2FA on without a confirmation code.
    #[error("code required")]
    CodeRequired,
    /// The code is not six digits.
    #[error("malformed code")]
    MalformedCode,
    /// Turning 2FA on while users are not ready, without acknowledging it.
    #[error("acknowledgement required")]
    AcknowledgementRequired {
        /// Users of the account who are not ready.
        not_ready: usize,
    },
    /// A code to turn 2FA on was asked for while it is on.
    #[error("two-factor authentication is already on")]
    AlreadyEnabled,
    /// Another administrator changed the setting at the same moment.
    #[error("changed concurrently")]
    Conflict,
    /// A store call failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something that should always be there was not.
    #[error("internal: {0}")]
    Internal(String),
}

/// The two-factor settings service.
#[derive(Clone)]
pub struct TwoFactorSettings {
    sign_in: SignIn,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
}

impl TwoFactorSettings {
    /// A service over the given ports; `sign_in` authenticates and sends and
    /// checks codes.
    pub fn new(
        sign_in: SignIn,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
    ) -> Self {
        Self {
            sign_in,
            store,
            clock,
            random,
        }
    }

    async fn setting(&self, admin: &User) -> Result<TwoFactorSetting, SettingsError> {
        self.store
            .two_factor(&admin.account_id)
            .await?
            .ok_or_else(|| SettingsError::Internal(format!("user {} has no account", admin.id)))
    }

    /// The account's setting, since when and by whom.
    #[instrument(skip_all)]
    pub async fn status(&self, token: &Token) -> Result<TwoFactorStatus, SettingsError> {
        let (admin, _) = self.sign_in.administrator(token).await?;
        Ok(status_of(&self.setting(&admin).await?))
    }

    /// The account's users who could not sign in with 2FA on, by practice.
    #[instrument(skip_all)]
    pub async fn readiness(&self, token: &Token) -> Result<Readiness, SettingsError> {
        let (admin, _) = self.sign_in.administrator(token).await?;
        self.readiness_of(&admin).await
    }

    async fn readiness_of(&self, admin: &User) -> Result<Readiness, SettingsError> {
        let users = self.store.users_of_account(&admin.account_id).await?;
        let practices = self.store.practices(&admin.account_id).await?;
        Ok(readiness(&users, &practices))
    }

    /// Sends the administrator a code that turns 2FA on, bound to the
    /// administrator's session.
    #[instrument(skip_all, fields(method = ?method))]
    pub async fn send_code(
        &self,
        courier: &dyn Courier,
        token: &Token,
        method: Method,
    ) -> Result<SendCodeResponse, SettingsError> {
        let (admin, session) = self.sign_in.administrator(token).await?;
        if self.setting(&admin).await?.enabled {
            return Err(SettingsError::AlreadyEnabled);
        }
        let sent = self
            .sign_in
            .issue_code(
                courier,
                &admin,
                Purpose::EnableTwoFactor,
                &session.token_digest,
                method,
            )
            .await?;
        Ok(sent)
    }

    /// Turns 2FA on or off as `request` asks, and answers the new status.
    #[instrument(skip_all, fields(enabled = request.enabled))]
    pub async fn change(
        &self,
        token: &Token,
        request: &ChangeTwoFactorRequest,
    ) -> Result<TwoFactorStatus, SettingsError> {
        let (admin, session) = self.sign_in.administrator(token).await?;
        let current = self.setting(&admin).await?;
        if current.enabled == request.enabled {
            info!(
                user_id = %admin.id,
                account_id = %admin.account_id,
                enabled = current.enabled,
                "two-factor setting saved unchanged"
            );
            return Ok(status_of(&current));
        }
        if request.enabled {
            self.admit_enable(&admin, &session, request).await?;
        }
        let change = TwoFactorChange {
            id: self.event_id()?,
            account_id: admin.account_id.clone(),
            actor_id: admin.id.clone(),
            actor_name: admin.name.clone(),
            from: current.enabled,
            to: request.enabled,
            at: self.clock.now(),
        };
        if !self
            .store
            .change_two_factor(&change, &session.token_digest)
            .await?
        {
            warn!(
                user_id = %admin.id,
                account_id = %admin.account_id,
                "two-factor change refused: changed concurrently"
            );
            return Err(SettingsError::Conflict);
        }
        info!(
            user_id = %admin.id,
            account_id = %admin.account_id,
            from = change.from,
            to = change.to,
            "two-factor setting changed"
        );
        Ok(status_of(&TwoFactorSetting {
            enabled: change.to,
            last_change: Some(change),
            enabling_session: None,
        }))
    }

    /// Everything turning 2FA on takes besides the write: the acknowledgement
    /// when users are not ready, then a right code. The acknowledgement comes
    /// first, as in the pop-ups, so a code is not spent on a refused change.
    async fn admit_enable(
        &self,
        admin: &User,
        session: &Session,
        request: &ChangeTwoFactorRequest,
    ) -> Result<(), SettingsError> {
        let not_ready = self.readiness_of(admin).await?.not_ready;
        if not_ready > 0 && !request.acknowledge_not_ready {
            info!(user_id = %admin.id, not_ready, "two-factor change refused: not acknowledged");
            return Err(SettingsError::AcknowledgementRequired { not_ready });
        }
        let typed = request
            .code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .ok_or(SettingsError::CodeRequired)?;
        let code = ConfirmationCode::parse(typed).map_err(|_| SettingsError::MalformedCode)?;
        self.sign_in
            .check_code(
                &admin.id,
                Purpose::EnableTwoFactor,
                &session.token_digest,
                &code,
            )
            .await?;
        Ok(())
    }

    fn event_id(&self) -> Result<String, SettingsError> {
        let secret = self
            .random
            .secret()
            .map_err(|e| SettingsError::Internal(e.to_string()))?;
        Ok(hex::encode(&secret[..8]))
    }
}

fn status_of(setting: &TwoFactorSetting) -> TwoFactorStatus {
    TwoFactorStatus {
        enabled: setting.enabled,
        changed_at: setting.last_change.as_ref().map(|c| c.at),
        changed_by: setting.last_change.as_ref().map(|c| c.actor_name.clone()),
    }
}
