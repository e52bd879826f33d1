//! # appsync-mock
//!
//! A local AWS AppSync-compatible server: reads a schema with `@model` types, serves the API
//! Amplify's transformer generates for it (queries, mutations, sync with conflict detection),
//! checks every auth mode for real and injects faults on request.
#![doc = include_str!("../README.md")]

pub mod api;
pub mod auth;
pub mod clock;
pub mod config;
pub mod data;
pub mod faults;
pub mod filter;
pub mod realtime;
pub mod schema;
pub mod server;
pub mod tls;

pub use config::MockConfig;
pub use schema::{AuthMode, ConflictMode};
pub use server::{MockError, MockServer};
