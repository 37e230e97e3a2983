//! Delivery of confirmation codes: email through SES v2, text messages
//! through SNS (SMS type Transactional).
//!
//! The message is the only place a code leaves the service. Errors carry the
//! provider's words for the log but never the destination or the code.

use async_trait::async_trait;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use aws_sdk_sns::types::MessageAttributeValue;
use phonenumber::country::Id;
use twofold_shared::{ConfirmationCode, Email, Phone};

use crate::model::Purpose;

/// Where a code goes.
#[derive(Clone, Debug)]
pub enum Recipient {
    /// An email address.
    Email(Email),
    /// A mobile phone.
    Text(Phone),
}

/// The provider did not take the message.
#[derive(Debug, thiserror::Error)]
#[error("delivery failed: {0}")]
pub struct DeliveryFailed(pub String);

/// Sends confirmation codes.
#[async_trait]
pub trait Courier: Send + Sync {
    /// Sends `code` for `purpose`, valid for `minutes`.
    async fn deliver(
        &self,
        to: &Recipient,
        code: &ConfirmationCode,
        purpose: Purpose,
        minutes: i64,
    ) -> Result<(), DeliveryFailed>;
}

/// The words of a code message.
pub fn message_text(code: &ConfirmationCode, purpose: Purpose, minutes: i64) -> String {
    let what = match purpose {
        Purpose::SignIn => "sign in to Twofold",
        Purpose::EnableTwoFactor => "turn on two-factor authentication",
    };
    format!(
        "Your confirmation code is {}. Use it to {what}. It expires in {minutes} minutes. \
         If this was not you, tell your System Administrator.",
        code.digits()
    )
}

/// SES v2 for email, SNS for text.
#[derive(Clone, Debug)]
pub struct AwsCourier {
    ses: aws_sdk_sesv2::Client,
    sns: aws_sdk_sns::Client,
    from: String,
    sms: SmsPolicy,
}

impl AwsCourier {
    /// A courier that sends email from `from`, an SES-verified identity, and
    /// texts within `sms`.
    pub fn new(
        ses: aws_sdk_sesv2::Client,
        sns: aws_sdk_sns::Client,
        from: String,
        sms: SmsPolicy,
    ) -> Self {
        Self {
            ses,
            sns,
            from,
            sms,
        }
    }
}

/// Limits on text messages, which cost money per message and per country.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SmsPolicy {
    /// The most SNS may spend on one message, in US dollars, as SNS reads it.
    pub max_price_usd: Option<String>,
    /// Countries texts may go to; empty means any.
    pub countries: Vec<Id>,
}

impl SmsPolicy {
    /// Whether a text may go to `phone`.
    pub fn allows(&self, phone: &Phone) -> bool {
        if self.countries.is_empty() {
            return true;
        }
        let country = phonenumber::parse(None, phone.as_str())
            .ok()
            .and_then(|number| number.country().id());
        country.is_some_and(|id| self.countries.contains(&id))
    }
}

fn content(text: &str) -> Result<Content, DeliveryFailed> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(|e| DeliveryFailed(e.to_string()))
}

fn attribute(value: &str) -> Result<MessageAttributeValue, DeliveryFailed> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| DeliveryFailed(e.to_string()))
}

#[async_trait]
impl Courier for AwsCourier {
    async fn deliver(
        &self,
        to: &Recipient,
        code: &ConfirmationCode,
        purpose: Purpose,
        minutes: i64,
    ) -> Result<(), DeliveryFailed> {
        let text = message_text(code, purpose, minutes);
        match to {
            Recipient::Email(email) => {
                let message = Message::builder()
                    .subject(content("Your Twofold confirmation code")?)
                    .body(Body::builder().text(content(&text)?).build())
                    .build();
                self.ses
                    .send_email()
                    .from_email_address(&self.from)
                    .destination(Destination::builder().to_addresses(email.as_str()).build())
                    .content(EmailContent::builder().simple(message).build())
                    .send()
                    .await
                    .map_err(|e| {
                        DeliveryFailed(aws_sdk_sesv2::error::DisplayErrorContext(&e).to_string())
                    })?;
            }
            Recipient::Text(phone) => {
                if !self.sms.allows(phone) {
                    return Err(DeliveryFailed(
                        "texts to that country are not allowed".into(),
                    ));
                }
                let mut publish = self
                    .sns
                    .publish()
                    .phone_number(phone.as_str())
                    .message(text)
                    .message_attributes("AWS.SNS.SMS.SMSType", attribute("Transactional")?);
                if let Some(price) = &self.sms.max_price_usd {
                    publish = publish.message_attributes("AWS.SNS.SMS.MaxPrice", attribute(price)?);
                }
                publish.send().await.map_err(|e| {
                    DeliveryFailed(aws_sdk_sns::error::DisplayErrorContext(&e).to_string())
                })?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_go_only_to_allowed_countries() {
        let us = Phone::from_e164("+14155552671").unwrap();
        let gb = Phone::from_e164("+447911123456").unwrap();
        let anywhere = SmsPolicy::default();
        assert!(anywhere.allows(&us) && anywhere.allows(&gb));
        let north_america = SmsPolicy {
            max_price_usd: None,
            countries: vec![Id::US, Id::CA],
        };
        assert!(north_america.allows(&us));
        assert!(!north_america.allows(&gb));
    }

    #[test]
    fn the_message_names_the_code_its_purpose_and_its_lifetime() {
        let code = ConfirmationCode::parse("042917").unwrap();
        let text = message_text(&code, Purpose::SignIn, 15);
        assert!(text.contains("042917"));
        assert!(text.contains("sign in"));
        assert!(text.contains("15 minutes"));
        let enable = message_text(&code, Purpose::EnableTwoFactor, 15);
        assert!(enable.contains("turn on two-factor"));
    }
}
