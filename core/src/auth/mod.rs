//! Auth for every AppSync mode (PROTOCOL.md §2): the providers the host implements, the cached
//! single-flight credentials, SigV4 signing, and the [`Authorizer`] that turns a mode into
//! request headers for HTTP now and for realtime later.

mod authorizer;
mod cache;
mod jwt_expiry;
mod mode;
mod providers;
mod sigv4;

pub use authorizer::{AppliedAuth, Authorizer, Clock};
pub use jwt_expiry::jwt_expiry_ms;
pub use mode::{AuthMode, UnknownAuthMode};
pub use providers::{
    AuthProviders, AuthToken, AwsCredentials, CredentialsFn, CredentialsProvider, HeaderProvider,
    HeadersFn, ProviderError, StaticCredentials, StaticToken, TokenFn, TokenProvider,
};
pub use sigv4::{sign_request, SigningInput};
