use super::*;

const GEN2: &str = r#"{
  "version": "1",
  "data": {
    "url": "https://abc.appsync-api.eu-west-1.amazonaws.com/graphql",
    "aws_region": "eu-west-1",
    "api_key": "da2-secret",
    "default_authorization_type": "AMAZON_COGNITO_USER_POOLS",
    "authorization_types": ["API_KEY", "AWS_IAM"]
  },
  "storage": { "bucket_name": "files", "aws_region": "eu-west-1" }
}"#;

#[test]
fn reads_gen2_outputs_with_every_auth_type() {
    let config = ClientConfig::from_json_str(GEN2, "amplify_outputs.json").unwrap();
    assert_eq!(
        config.endpoint,
        "https://abc.appsync-api.eu-west-1.amazonaws.com/graphql"
    );
    assert_eq!(config.region.as_deref(), Some("eu-west-1"));
    assert_eq!(config.default_auth_mode, AuthMode::UserPools);
    assert_eq!(
        config.additional_auth_modes,
        vec![AuthMode::ApiKey, AuthMode::Iam]
    );
    assert_eq!(config.api_key.as_deref(), Some("da2-secret"));
    assert_eq!(config.signing_service, "appsync");
    assert_eq!(
        config.s3,
        Some(S3Config {
            bucket: "files".into(),
            region: "eu-west-1".into()
        })
    );
    assert_eq!(
        config.endpoint_host(),
        "abc.appsync-api.eu-west-1.amazonaws.com"
    );
}

#[test]
fn reads_gen1_flat_keys_with_rest_and_s3() {
    let text = r#"{
      "aws_project_region": "us-east-1",
      "aws_appsync_graphqlEndpoint": "https://x.appsync-api.us-east-1.amazonaws.com/graphql",
      "aws_appsync_region": "us-east-1",
      "aws_appsync_authenticationType": "API_KEY",
      "aws_appsync_apiKey": "da2-abc",
      "aws_cloud_logic_custom": [{"name": "items", "endpoint": "https://r.execute-api.us-east-1.amazonaws.com/dev", "region": "us-east-1"}],
      "aws_user_files_s3_bucket": "b", "aws_user_files_s3_bucket_region": "us-east-1"
    }"#;
    let config = ClientConfig::from_json_str(text, "amplifyconfiguration.json").unwrap();
    assert_eq!(config.default_auth_mode, AuthMode::ApiKey);
    assert_eq!(config.api_key.as_deref(), Some("da2-abc"));
    assert_eq!(config.rest_apis.len(), 1);
    assert_eq!(config.rest_apis[0].name, "items");
    assert!(config.s3.is_some());
}

#[test]
fn reads_the_nested_api_graphql_form() {
    let text = r#"{"API": {"GraphQL": {"endpoint": "https://x.appsync-api.us-east-1.amazonaws.com/graphql",
        "region": "us-east-1", "defaultAuthMode": "iam"},
        "REST": {"orders": {"endpoint": "https://o.example.com", "region": "us-east-1"}}}}"#;
    let config = ClientConfig::from_json_str(text, "aws-exports.json").unwrap();
    assert_eq!(config.default_auth_mode, AuthMode::Iam);
    assert_eq!(config.rest_apis[0].name, "orders");
}

#[test]
fn reads_the_native_plugin_form() {
    let text = r#"{"api": {"plugins": {"awsAPIPlugin": {"myApi": {"endpointType": "GraphQL",
        "endpoint": "https://x.appsync-api.us-east-1.amazonaws.com/graphql", "region": "us-east-1",
        "authorizationType": "AWS_LAMBDA"}}}}}"#;
    let config = ClientConfig::from_json_str(text, "amplifyconfiguration.json").unwrap();
    assert_eq!(config.default_auth_mode, AuthMode::Lambda);
}

#[test]
fn builder_accepts_a_custom_non_appsync_endpoint_without_auth() {
    let config = ClientConfig::builder("http://127.0.0.1:4000/graphql")
        .build()
        .unwrap();
    assert_eq!(config.default_auth_mode, AuthMode::None);
}

#[test]
fn api_gateway_endpoints_are_signed_for_execute_api() {
    let config =
        ClientConfig::builder("https://a1.execute-api.eu-central-1.amazonaws.com/prod/graphql")
            .region("eu-central-1")
            .default_auth_mode(AuthMode::Iam)
            .build()
            .unwrap();
    assert_eq!(config.signing_service, "execute-api");
    let custom = ClientConfig::builder("https://api.example.com/graphql")
        .region("eu-central-1")
        .default_auth_mode(AuthMode::Iam)
        .signing_service("execute-api")
        .build()
        .unwrap();
    assert_eq!(custom.signing_service, "execute-api");
}

fn error_of(text: &str) -> ConfigError {
    ClientConfig::from_json_str(text, "amplify_outputs.json").unwrap_err()
}

#[test]
fn missing_endpoint_names_the_key() {
    let e = error_of(r#"{"data": {"default_authorization_type": "API_KEY", "api_key": "k"}}"#);
    assert_eq!(e.source_name, "amplify_outputs.json");
    assert_eq!(e.key, "data.url");
    assert_eq!(e.found, "missing");
    assert!(
        e.to_string()
            .starts_with("amplify_outputs.json: data.url: expected"),
        "{e}"
    );
}

#[test]
fn unknown_auth_type_names_the_key_and_value() {
    let e = error_of(
        r#"{"data": {"url": "https://x/graphql", "default_authorization_type": "COGNITO"}}"#,
    );
    assert_eq!(e.key, "data.default_authorization_type");
    assert!(e.expected.contains("AWS_IAM"));
    assert_eq!(e.found, "string \"COGNITO\"");
}

#[test]
fn wrong_json_type_is_reported() {
    let e = error_of(r#"{"data": {"url": 42, "default_authorization_type": "NONE"}}"#);
    assert_eq!(
        (e.key.as_str(), e.found.as_str()),
        ("data.url", "number 42")
    );
    let e = error_of(r#"{"data": "nope"}"#);
    assert_eq!(e.key, "data");
    let e = error_of(r#"[1,2]"#);
    assert_eq!(e.expected, "a JSON object");
    let e = error_of(
        r#"{"data": {"url": "https://x/graphql", "default_authorization_type": "NONE",
        "authorization_types": ["API_KEY", 7]}}"#,
    );
    assert_eq!(e.key, "data.authorization_types[1]");
}

#[test]
fn invalid_json_and_unknown_shapes_are_errors() {
    assert!(error_of("{not json").found.starts_with("a syntax error"));
    assert!(error_of(r#"{"hello": 1}"#)
        .expected
        .contains("amplify_outputs.json"));
}

#[test]
fn iam_without_region_and_api_key_mode_without_key_are_errors() {
    let e = error_of(
        r#"{"data": {"url": "https://x/graphql", "default_authorization_type": "AWS_IAM"}}"#,
    );
    assert_eq!(e.key, "data.aws_region");
    let e = error_of(
        r#"{"data": {"url": "https://x/graphql", "default_authorization_type": "API_KEY"}}"#,
    );
    assert_eq!(e.key, "data.api_key");
    let e = ClientConfig::from_json_str(
        r#"{"aws_appsync_graphqlEndpoint": "ftp://x", "aws_appsync_authenticationType": "NONE"}"#,
        "amplifyconfiguration.json",
    )
    .unwrap_err();
    assert_eq!(e.key, "aws_appsync_graphqlEndpoint");
    let e = ClientConfig::from_json_str(
        r#"{"api": {"plugins": {"awsAPIPlugin": {"main": {"endpointType": "GraphQL",
            "endpoint": "https://x/graphql", "authorizationType": "AWS_IAM"}}}}}"#,
        "amplifyconfiguration.json",
    )
    .unwrap_err();
    assert_eq!(e.key, "api.plugins.awsAPIPlugin.main.region");
}

#[test]
fn a_missing_file_is_a_config_error_naming_it() {
    let e = ClientConfig::from_file("/nonexistent/amplify_outputs.json").unwrap_err();
    assert_eq!(e.source_name, "amplify_outputs.json");
    assert!(e.found.contains("I/O"));
}

#[test]
fn debug_output_never_shows_the_api_key() {
    let config = ClientConfig::from_json_str(GEN2, "amplify_outputs.json").unwrap();
    assert!(!format!("{config:?}").contains("da2-secret"));
}
