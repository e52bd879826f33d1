//! The user's `@model` schema and the AppSync API generated from it.
//!
//! This module owns reading the SDL a user writes for Amplify (`@model` types, `@auth` rules,
//! enums and plain object types) and producing exactly the API SDL that Amplify's GraphQL
//! transformer v2 would deploy for it: the model types with their timestamps and conflict
//! metadata, connection types, filter/condition/subscription-filter inputs, create/update/delete
//! inputs, the `Query`, `Mutation` and `Subscription` root types and the `@aws_*` auth directives.
//! It does not execute anything: resolvers and storage live elsewhere and use these names.

mod generate;
mod model;

pub use generate::{
    generate_api_sdl, generate_api_sdl_with_default_auth, metadata_fields, model_type_fields,
    timestamp_fields,
};
pub use model::{
    parse_model_schema, pluralize, AuthMode, AuthRule, AuthStrategy, ConflictMode, EnumType, Field,
    FieldKind, Model, ModelOperation, ModelSchema, ObjectType, OperationNames, Scalar, SchemaError,
    TypeRef, METADATA_FIELD_NAMES,
};
