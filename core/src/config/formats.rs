//! The file formats Amplify writes, each read into a [`ClientConfig`].

use super::json::Obj;
use super::{ClientConfig, ConfigError, KeyNames, RestApiConfig, S3Config};
use crate::auth::AuthMode;
use serde_json::Value;

const MODE_NAMES: &str =
    "one of API_KEY, AWS_IAM, AMAZON_COGNITO_USER_POOLS, OPENID_CONNECT, AWS_LAMBDA, NONE";

/// Picks the format from the keys present and reads it.
pub(super) fn parse(value: &Value, source: &str) -> Result<ClientConfig, ConfigError> {
    let root = Obj::root(source, value)?;
    if root.has("data") {
        return gen2(&root);
    }
    if root.has("aws_appsync_graphqlEndpoint") || root.has("aws_appsync_authenticationType") {
        return gen1_flat(&root);
    }
    if root.has("API") {
        return gen1_nested(&root);
    }
    if root.has("api") {
        return gen1_native(&root);
    }
    Err(ConfigError::new(
        source,
        "",
        "an Amplify config: `data.url` (amplify_outputs.json), `aws_appsync_graphqlEndpoint` \
         (Gen 1), `API.GraphQL` (aws-exports) or `api.plugins.awsAPIPlugin` (native Gen 1)",
        "none of these keys",
    ))
}

fn mode(obj: &Obj<'_>, key: &str) -> Result<AuthMode, ConfigError> {
    let name = obj.string(key, MODE_NAMES)?;
    AuthMode::parse_any(name).ok_or_else(|| obj.error(key, MODE_NAMES))
}

fn empty(endpoint: &str) -> ClientConfig {
    ClientConfig::builder(endpoint).config
}

fn s3_from(bucket: Option<&str>, region: Option<&str>) -> Option<S3Config> {
    match (bucket, region) {
        (Some(bucket), Some(region)) => Some(S3Config {
            bucket: bucket.to_owned(),
            region: region.to_owned(),
        }),
        _ => None,
    }
}

/// `amplify_outputs.json` (Gen 2).
fn gen2(root: &Obj<'_>) -> Result<ClientConfig, ConfigError> {
    let data = root.object("data")?;
    let mut config = empty(data.string("url", "the GraphQL endpoint URL as a string")?);
    config.region = data
        .opt_string("aws_region", "a region string")?
        .map(str::to_owned);
    config.default_auth_mode = mode(&data, "default_authorization_type")?;
    config.api_key = data
        .opt_string("api_key", "an API key string")?
        .map(str::to_owned);
    if let Some(types) = data.opt_array("authorization_types")? {
        for (i, item) in types.iter().enumerate() {
            let found = item.as_str().and_then(AuthMode::parse_any);
            let Some(found) = found else {
                return Err(ConfigError::new(
                    root.source,
                    format!("data.authorization_types[{i}]"),
                    MODE_NAMES,
                    super::error::describe(Some(item)),
                ));
            };
            if found != config.default_auth_mode && !config.additional_auth_modes.contains(&found) {
                config.additional_auth_modes.push(found);
            }
        }
    }
    if let Some(storage) = root.opt_object("storage")? {
        config.s3 = s3_from(
            storage.opt_string("bucket_name", "a bucket name")?,
            storage.opt_string("aws_region", "a region string")?,
        );
    }
    config.validate(
        root.source,
        &KeyNames {
            endpoint: "data.url",
            region: "data.aws_region",
            api_key: "data.api_key",
        },
    )
}

/// `amplifyconfiguration.json` / `aws-exports.js` with flat `aws_appsync_*` keys.
fn gen1_flat(root: &Obj<'_>) -> Result<ClientConfig, ConfigError> {
    let mut config = empty(root.string(
        "aws_appsync_graphqlEndpoint",
        "the GraphQL endpoint URL as a string",
    )?);
    config.region = root
        .opt_string("aws_appsync_region", "a region string")?
        .map(str::to_owned);
    config.default_auth_mode = mode(root, "aws_appsync_authenticationType")?;
    config.api_key = root
        .opt_string("aws_appsync_apiKey", "an API key string")?
        .map(str::to_owned);
    if let Some(apis) = root.opt_array("aws_cloud_logic_custom")? {
        for (i, api) in apis.iter().enumerate() {
            let key = format!("aws_cloud_logic_custom[{i}]");
            let obj = match api {
                Value::Object(map) => Obj {
                    source: root.source,
                    path: key,
                    map,
                },
                other => {
                    return Err(ConfigError::new(
                        root.source,
                        key,
                        "an object with name, endpoint and region",
                        super::error::describe(Some(other)),
                    ))
                }
            };
            config.rest_apis.push(RestApiConfig {
                name: obj.string("name", "the API name as a string")?.to_owned(),
                endpoint: obj
                    .string("endpoint", "the REST endpoint URL as a string")?
                    .to_owned(),
                region: obj
                    .opt_string("region", "a region string")?
                    .map(str::to_owned),
            });
        }
    }
    config.s3 = s3_from(
        root.opt_string("aws_user_files_s3_bucket", "a bucket name")?,
        root.opt_string("aws_user_files_s3_bucket_region", "a region string")?,
    );
    config.validate(
        root.source,
        &KeyNames {
            endpoint: "aws_appsync_graphqlEndpoint",
            region: "aws_appsync_region",
            api_key: "aws_appsync_apiKey",
        },
    )
}

/// The nested `API: { GraphQL: {...}, REST: {...} }` form of Amplify JS v6.
fn gen1_nested(root: &Obj<'_>) -> Result<ClientConfig, ConfigError> {
    let api = root.object("API")?;
    let graphql = api.object("GraphQL")?;
    let mut config = empty(graphql.string("endpoint", "the GraphQL endpoint URL as a string")?);
    config.region = graphql
        .opt_string("region", "a region string")?
        .map(str::to_owned);
    config.default_auth_mode = mode(&graphql, "defaultAuthMode")?;
    config.api_key = graphql
        .opt_string("apiKey", "an API key string")?
        .map(str::to_owned);
    if let Some(rest) = api.opt_object("REST")? {
        for (name, value) in rest.entries() {
            let Value::Object(map) = value else {
                return Err(rest.error(name, "an object with endpoint and region"));
            };
            let obj = Obj {
                source: root.source,
                path: rest.key_path(name),
                map,
            };
            config.rest_apis.push(RestApiConfig {
                name: name.clone(),
                endpoint: obj
                    .string("endpoint", "the REST endpoint URL as a string")?
                    .to_owned(),
                region: obj
                    .opt_string("region", "a region string")?
                    .map(str::to_owned),
            });
        }
    }
    if let Some(storage) = root.opt_object("Storage")? {
        if let Some(s3) = storage.opt_object("S3")? {
            config.s3 = s3_from(
                s3.opt_string("bucket", "a bucket name")?,
                s3.opt_string("region", "a region string")?,
            );
        }
    }
    config.validate(
        root.source,
        &KeyNames {
            endpoint: "API.GraphQL.endpoint",
            region: "API.GraphQL.region",
            api_key: "API.GraphQL.apiKey",
        },
    )
}

/// The native (Android/iOS) Gen 1 form: `api.plugins.awsAPIPlugin.<name>` entries.
fn gen1_native(root: &Obj<'_>) -> Result<ClientConfig, ConfigError> {
    let plugins = root
        .object("api")?
        .object("plugins")?
        .object("awsAPIPlugin")?;
    let mut graphql = None;
    let mut rest = Vec::new();
    for (name, value) in plugins.entries() {
        let Value::Object(map) = value else {
            return Err(plugins.error(name, "an object with endpointType and endpoint"));
        };
        let obj = Obj {
            source: root.source,
            path: plugins.key_path(name),
            map,
        };
        match obj.string("endpointType", "\"GraphQL\" or \"REST\"")? {
            "GraphQL" if graphql.is_none() => graphql = Some(obj),
            "GraphQL" => {}
            "REST" => rest.push(RestApiConfig {
                name: name.clone(),
                endpoint: obj
                    .string("endpoint", "the REST endpoint URL as a string")?
                    .to_owned(),
                region: obj
                    .opt_string("region", "a region string")?
                    .map(str::to_owned),
            }),
            _ => return Err(obj.error("endpointType", "\"GraphQL\" or \"REST\"")),
        }
    }
    let Some(graphql) = graphql else {
        return Err(ConfigError::new(
            root.source,
            "api.plugins.awsAPIPlugin",
            "an entry with endpointType \"GraphQL\"",
            "none",
        ));
    };
    let mut config = empty(graphql.string("endpoint", "the GraphQL endpoint URL as a string")?);
    config.region = graphql
        .opt_string("region", "a region string")?
        .map(str::to_owned);
    config.default_auth_mode = mode(&graphql, "authorizationType")?;
    config.api_key = graphql
        .opt_string("apiKey", "an API key string")?
        .map(str::to_owned);
    config.rest_apis = rest;
    let (endpoint, region, api_key) = (
        graphql.key_path("endpoint"),
        graphql.key_path("region"),
        graphql.key_path("apiKey"),
    );
    config
        .validate(
            root.source,
            &KeyNames {
                endpoint: "endpoint",
                region: "region",
                api_key: "apiKey",
            },
        )
        .map_err(|mut e| {
            // The plugin entry's name is only known at run time: name the full path.
            e.key = match e.key.as_str() {
                "endpoint" => endpoint,
                "region" => region,
                "apiKey" => api_key,
                _ => e.key,
            };
            e
        })
}
