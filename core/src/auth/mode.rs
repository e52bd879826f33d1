//! The auth modes AppSync knows, and their names in each config format and on the command line.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How a request proves who it is (PROTOCOL.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuthMode {
    /// `x-api-key` header.
    ApiKey,
    /// AWS SigV4 with IAM credentials.
    Iam,
    /// A Cognito user pool JWT in `Authorization`.
    UserPools,
    /// An OpenID Connect JWT in `Authorization`.
    Oidc,
    /// A token checked by a Lambda authorizer, in `Authorization`.
    Lambda,
    /// No auth headers (custom GraphQL servers; custom headers may still apply).
    None,
}

impl AuthMode {
    /// Every mode, in a stable order.
    pub const ALL: [AuthMode; 6] = [
        AuthMode::ApiKey,
        AuthMode::Iam,
        AuthMode::UserPools,
        AuthMode::Oidc,
        AuthMode::Lambda,
        AuthMode::None,
    ];

    /// The name AppSync, Gen 1 flat configs and Gen 2 outputs use (`API_KEY`, `AWS_IAM`, ...).
    pub fn appsync_name(self) -> &'static str {
        match self {
            AuthMode::ApiKey => "API_KEY",
            AuthMode::Iam => "AWS_IAM",
            AuthMode::UserPools => "AMAZON_COGNITO_USER_POOLS",
            AuthMode::Oidc => "OPENID_CONNECT",
            AuthMode::Lambda => "AWS_LAMBDA",
            AuthMode::None => "NONE",
        }
    }

    /// The name on the `appsync` command line (`api-key`, `user-pools`, ...).
    pub fn cli_name(self) -> &'static str {
        match self {
            AuthMode::ApiKey => "api-key",
            AuthMode::Iam => "iam",
            AuthMode::UserPools => "user-pools",
            AuthMode::Oidc => "oidc",
            AuthMode::Lambda => "lambda",
            AuthMode::None => "none",
        }
    }

    /// Parses an AppSync-style name (`API_KEY`), an Amplify JS v6 name (`apiKey`, `userPool`,
    /// `identityPool`) or a CLI name (`api-key`).
    pub fn parse_any(name: &str) -> Option<AuthMode> {
        let mode = match name {
            "API_KEY" | "apiKey" | "api-key" => AuthMode::ApiKey,
            "AWS_IAM" | "iam" | "identityPool" => AuthMode::Iam,
            "AMAZON_COGNITO_USER_POOLS" | "userPool" | "user-pools" => AuthMode::UserPools,
            "OPENID_CONNECT" | "oidc" => AuthMode::Oidc,
            "AWS_LAMBDA" | "lambda" => AuthMode::Lambda,
            "NONE" | "none" => AuthMode::None,
            _ => return None,
        };
        Some(mode)
    }

    /// True for the modes whose credential is a bearer token from a token provider.
    pub fn uses_token(self) -> bool {
        matches!(
            self,
            AuthMode::UserPools | AuthMode::Oidc | AuthMode::Lambda
        )
    }
}

impl fmt::Display for AuthMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.appsync_name())
    }
}

/// The error of [`AuthMode::from_str`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown auth mode `{0}`: expected one of api-key, iam, user-pools, oidc, lambda, none")]
pub struct UnknownAuthMode(pub String);

impl FromStr for AuthMode {
    type Err = UnknownAuthMode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AuthMode::parse_any(s).ok_or_else(|| UnknownAuthMode(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mode_round_trips_through_each_naming() {
        for mode in AuthMode::ALL {
            assert_eq!(AuthMode::parse_any(mode.appsync_name()), Some(mode));
            assert_eq!(AuthMode::parse_any(mode.cli_name()), Some(mode));
        }
        assert_eq!("userPool".parse::<AuthMode>(), Ok(AuthMode::UserPools));
        assert!("COGNITO".parse::<AuthMode>().is_err());
    }
}
