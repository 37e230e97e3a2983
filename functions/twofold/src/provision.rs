//! Creating the table from the SAM template's own definition, so the local
//! stack and the tests use exactly the keys, indexes and TTL that deploy.
//! Used by operator commands and tests, never by a request.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use serde_yaml::Value;

/// Logical id of the table in `infra/template.yaml`.
pub const TABLE_RESOURCE: &str = "Table";

/// The template could not be read, or the table not created.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// The template is not YAML or lacks part of the table definition.
    #[error("template: {0}")]
    Template(String),
    /// DynamoDB refused.
    #[error("dynamodb: {0}")]
    Dynamo(String),
}

/// The table's keys, indexes and TTL, as the template declares them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableDefinition {
    /// `(name, type)` of every key attribute: `S`, `N` or `B`.
    pub attributes: Vec<(String, String)>,
    /// `(name, HASH|RANGE)` of the primary key.
    pub key: Vec<(String, String)>,
    /// Global secondary indexes: name and key.
    pub indexes: Vec<(String, Vec<(String, String)>)>,
    /// The TTL attribute, when TTL is enabled.
    pub ttl_attribute: Option<String>,
}

fn text(value: &Value, field: &str) -> Result<String, ProvisionError> {
    value
        .get(field)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| ProvisionError::Template(format!("missing {field}")))
}

fn pairs(list: Option<&Value>, a: &str, b: &str) -> Result<Vec<(String, String)>, ProvisionError> {
    let list = list
        .and_then(Value::as_sequence)
        .ok_or_else(|| ProvisionError::Template(format!("missing list of {a}/{b}")))?;
    list.iter()
        .map(|v| Ok((text(v, a)?, text(v, b)?)))
        .collect()
}

impl TableDefinition {
    /// Reads the `Table` resource of a SAM or CloudFormation template.
    pub fn from_template(yaml: &str) -> Result<Self, ProvisionError> {
        let doc: Value =
            serde_yaml::from_str(yaml).map_err(|e| ProvisionError::Template(e.to_string()))?;
        let props = doc
            .get("Resources")
            .and_then(|r| r.get(TABLE_RESOURCE))
            .and_then(|t| t.get("Properties"))
            .ok_or_else(|| ProvisionError::Template(format!("no {TABLE_RESOURCE} resource")))?;
        let indexes = match props
            .get("GlobalSecondaryIndexes")
            .and_then(Value::as_sequence)
        {
            None => Vec::new(),
            Some(list) => list
                .iter()
                .map(|index| {
                    let key = pairs(index.get("KeySchema"), "AttributeName", "KeyType")?;
                    Ok((text(index, "IndexName")?, key))
                })
                .collect::<Result<_, ProvisionError>>()?,
        };
        let ttl = props.get("TimeToLiveSpecification");
        let ttl_enabled = ttl.and_then(|t| t.get("Enabled")).and_then(Value::as_bool);
        Ok(Self {
            attributes: pairs(
                props.get("AttributeDefinitions"),
                "AttributeName",
                "AttributeType",
            )?,
            key: pairs(props.get("KeySchema"), "AttributeName", "KeyType")?,
            indexes,
            ttl_attribute: match (ttl, ttl_enabled) {
                (Some(ttl), Some(true)) => Some(text(ttl, "AttributeName")?),
                _ => None,
            },
        })
    }

    /// Creates the table as `name` unless it exists; enables TTL.
    /// Returns whether it was created now.
    pub async fn create(&self, client: &Client, name: &str) -> Result<bool, ProvisionError> {
        let dynamo = |e: String| ProvisionError::Dynamo(e);
        let exists = client
            .describe_table()
            .table_name(name)
            .send()
            .await
            .is_ok();
        if exists {
            return Ok(false);
        }
        let key = |pairs: &[(String, String)]| -> Result<Vec<KeySchemaElement>, ProvisionError> {
            pairs
                .iter()
                .map(|(name, kind)| {
                    KeySchemaElement::builder()
                        .attribute_name(name)
                        .key_type(KeyType::from(kind.as_str()))
                        .build()
                        .map_err(|e| dynamo(e.to_string()))
                })
                .collect()
        };
        let mut request = client
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .set_key_schema(Some(key(&self.key)?));
        for (attribute, kind) in &self.attributes {
            request = request.attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(attribute)
                    .attribute_type(ScalarAttributeType::from(kind.as_str()))
                    .build()
                    .map_err(|e| dynamo(e.to_string()))?,
            );
        }
        for (index, index_key) in &self.indexes {
            request = request.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(index)
                    .set_key_schema(Some(key(index_key)?))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::All)
                            .build(),
                    )
                    .build()
                    .map_err(|e| dynamo(e.to_string()))?,
            );
        }
        request
            .send()
            .await
            .map_err(|e| dynamo(DisplayErrorContext(&e).to_string()))?;
        if let Some(attribute) = &self.ttl_attribute {
            client
                .update_time_to_live()
                .table_name(name)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .attribute_name(attribute)
                        .enabled(true)
                        .build()
                        .map_err(|e| dynamo(e.to_string()))?,
                )
                .send()
                .await
                .map_err(|e| dynamo(DisplayErrorContext(&e).to_string()))?;
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_definition_is_read_from_a_template_with_intrinsics() {
        let yaml = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "${AWS::StackName}-table"
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - { AttributeName: pk, AttributeType: S }
        - { AttributeName: sk, AttributeType: S }
      KeySchema:
        - { AttributeName: pk, KeyType: HASH }
        - { AttributeName: sk, KeyType: RANGE }
      TimeToLiveSpecification: { AttributeName: ttl, Enabled: true }
"#;
        let table = TableDefinition::from_template(yaml).unwrap();
        assert_eq!(table.key[0], ("pk".into(), "HASH".into()));
        assert_eq!(table.key[1], ("sk".into(), "RANGE".into()));
        assert_eq!(table.attributes.len(), 2);
        assert_eq!(table.ttl_attribute.as_deref(), Some("ttl"));
        assert!(table.indexes.is_empty());
    }

    #[test]
    fn a_template_without_the_table_is_refused() {
        let err = TableDefinition::from_template("Resources: {}").unwrap_err();
        assert!(err.to_string().contains("no Table resource"), "{err}");
    }
}
