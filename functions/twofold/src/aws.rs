//! Building the AWS SDK configuration once per cold start. `AWS_ENDPOINT_URL`
//! points every client at the local emulator when it is set.

use aws_config::AppName;

/// The shared SDK configuration from the environment. A function's
/// requests carry `app/twofold-<function>` in their user agent, by which
/// the local emulator holds each function to its IAM policy in the SAM
/// template (scripts/template_iam.py); in AWS it only names the caller in
/// CloudTrail.
pub async fn sdk_config(function: Option<&str>) -> aws_config::SdkConfig {
    let loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    let name = function.and_then(|f| AppName::new(format!("twofold-{f}")).ok());
    match name {
        Some(name) => loader.app_name(name),
        None => loader,
    }
    .load()
    .await
}

/// A DynamoDB client.
pub fn dynamodb(config: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}

/// An SES v2 client.
pub fn sesv2(config: &aws_config::SdkConfig) -> aws_sdk_sesv2::Client {
    aws_sdk_sesv2::Client::new(config)
}

/// An SNS client.
pub fn sns(config: &aws_config::SdkConfig) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(config)
}

/// The decrypted value of an SSM SecureString parameter.
pub async fn secure_parameter(
    config: &aws_config::SdkConfig,
    name: &str,
) -> Result<String, String> {
    let out = aws_sdk_ssm::Client::new(config)
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .map_err(|e| aws_sdk_ssm::error::DisplayErrorContext(&e).to_string())?;
    out.parameter
        .and_then(|p| p.value)
        .ok_or_else(|| format!("parameter {name} has no value"))
}

/// Stores `value` as an SSM SecureString parameter, replacing any earlier
/// value. For operator commands only.
pub async fn put_secure_parameter(
    config: &aws_config::SdkConfig,
    name: &str,
    value: &str,
) -> Result<(), String> {
    aws_sdk_ssm::Client::new(config)
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await
        .map_err(|e| aws_sdk_ssm::error::DisplayErrorContext(&e).to_string())?;
    Ok(())
}
