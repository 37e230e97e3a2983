//! What a function holds between invocations: settings read and AWS clients
//! built once at cold start.

use std::collections::HashMap;
use std::sync::Arc;

use crate::aws;
use crate::clock::SystemClock;
use crate::config::{CODE_KEY, CODE_KEY_PARAMETER, ConfigProblems, EMAIL_FROM, Settings};
use crate::courier::AwsCourier;
use crate::random::OsRandom;
use crate::service::signin::SignIn;
use crate::store::dynamo::DynamoStore;

/// The services of one function.
pub struct App {
    /// Settings as read at cold start.
    pub settings: Settings,
    /// The sign-in service over DynamoDB.
    pub sign_in: SignIn,
    /// The store behind it, for the other services.
    pub store: Arc<DynamoStore>,
    /// The SDK configuration the clients were built from.
    sdk: aws_config::SdkConfig,
}

impl App {
    /// Starts logging, reads settings and builds the store client: what
    /// every function does first at cold start. `function` is the
    /// function's binary name, which its AWS requests carry (see
    /// [`aws::sdk_config`]).
    pub async fn start(function: &str) -> Result<Self, ConfigProblems> {
        crate::telemetry::init();
        let config = aws::sdk_config(Some(function)).await;
        let mut vars: HashMap<String, String> = std::env::vars().collect();
        // In AWS the key lives in SSM, never in a plain variable: read it
        // once, here, at cold start.
        let parameter = vars.get(CODE_KEY_PARAMETER).cloned();
        if let (false, Some(name)) = (vars.contains_key(CODE_KEY), parameter) {
            let key = aws::secure_parameter(&config, &name).await.map_err(|e| {
                ConfigProblems(vec![format!("reading {CODE_KEY_PARAMETER} {name}: {e}")])
            })?;
            vars.insert(CODE_KEY.to_owned(), key);
        }
        let settings = Settings::from_vars(&vars)?;
        let store = Arc::new(DynamoStore::new(
            aws::dynamodb(&config),
            settings.table.clone(),
        ));
        let sign_in = SignIn::new(
            store.clone(),
            Arc::new(SystemClock),
            Arc::new(OsRandom),
            settings.code_key.clone(),
            settings.policy,
        );
        Ok(Self {
            settings,
            sign_in,
            store,
            sdk: config,
        })
    }

    /// Builds the courier for functions that send codes.
    pub fn courier(&self) -> Result<AwsCourier, ConfigProblems> {
        let from = self
            .settings
            .email_from
            .clone()
            .ok_or_else(|| ConfigProblems(vec![format!("{EMAIL_FROM} is required")]))?;
        Ok(AwsCourier::new(
            aws::sesv2(&self.sdk),
            aws::sns(&self.sdk),
            from,
            self.settings.sms.clone(),
        ))
    }
}
