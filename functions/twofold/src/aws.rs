//! Building the AWS SDK configuration once per cold start. `AWS_ENDPOINT_URL`
//! points every client at the local emulator when it is set.

/// The shared SDK configuration from the environment.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
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
