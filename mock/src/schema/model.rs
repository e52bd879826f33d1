//! The user's schema as written: `@model` types, enums and plain object types, read from SDL
//! and checked against what the mock can serve.
//!
//! Everything the transformer would need but the mock does not support (relations, indexes,
//! custom operations, `@model` arguments, field-level directives) is refused here with the line
//! it was found on, so that generation never has to guess.

use std::collections::HashMap;
use std::fmt;

use graphql_parser::schema::{self as ast, Definition, TypeDefinition};
use graphql_parser::Pos;

/// Conflict detection configured for the API (Amplify's `conflictHandler`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictMode {
    /// No conflict detection: no `_version` metadata, no `sync` queries.
    None,
    /// Conflict detection with the optimistic-concurrency handler.
    Optimistic,
    /// Conflict detection with the auto-merge handler.
    Automerge,
}

impl ConflictMode {
    /// Whether DataStore metadata (`_version`, `_deleted`, `_lastChangedAt`) and `sync` queries exist.
    pub fn is_enabled(self) -> bool {
        !matches!(self, ConflictMode::None)
    }
}

/// The scalars a field may use: GraphQL's own and AppSync's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scalar {
    Id,
    String,
    Int,
    Float,
    Boolean,
    AwsDateTime,
    AwsDate,
    AwsTime,
    AwsTimestamp,
    AwsJson,
    AwsEmail,
    AwsUrl,
    AwsPhone,
    AwsIpAddress,
}

impl Scalar {
    pub const ALL: [Scalar; 14] = [
        Scalar::Id,
        Scalar::String,
        Scalar::Int,
        Scalar::Float,
        Scalar::Boolean,
        Scalar::AwsDateTime,
        Scalar::AwsDate,
        Scalar::AwsTime,
        Scalar::AwsTimestamp,
        Scalar::AwsJson,
        Scalar::AwsEmail,
        Scalar::AwsUrl,
        Scalar::AwsPhone,
        Scalar::AwsIpAddress,
    ];

    pub fn graphql_name(self) -> &'static str {
        match self {
            Scalar::Id => "ID",
            Scalar::String => "String",
            Scalar::Int => "Int",
            Scalar::Float => "Float",
            Scalar::Boolean => "Boolean",
            Scalar::AwsDateTime => "AWSDateTime",
            Scalar::AwsDate => "AWSDate",
            Scalar::AwsTime => "AWSTime",
            Scalar::AwsTimestamp => "AWSTimestamp",
            Scalar::AwsJson => "AWSJSON",
            Scalar::AwsEmail => "AWSEmail",
            Scalar::AwsUrl => "AWSURL",
            Scalar::AwsPhone => "AWSPhone",
            Scalar::AwsIpAddress => "AWSIPAddress",
        }
    }

    pub fn from_name(name: &str) -> Option<Scalar> {
        Scalar::ALL.into_iter().find(|s| s.graphql_name() == name)
    }

    /// The GraphQL scalar whose filter inputs this scalar uses. The transformer files every
    /// AppSync scalar under String except AWSTimestamp, which it treats as a number.
    pub fn filter_scalar(self) -> Scalar {
        match self {
            Scalar::Id | Scalar::String | Scalar::Int | Scalar::Float | Scalar::Boolean => self,
            Scalar::AwsTimestamp => Scalar::Int,
            _ => Scalar::String,
        }
    }
}

/// A field's type with its list and non-null wrappers.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeRef {
    Named(String),
    List(Box<TypeRef>),
    NonNull(Box<TypeRef>),
}

impl TypeRef {
    pub fn new(name: &str) -> TypeRef {
        TypeRef::Named(name.to_string())
    }

    pub fn non_null(inner: TypeRef) -> TypeRef {
        match inner {
            already @ TypeRef::NonNull(_) => already,
            other => TypeRef::NonNull(Box::new(other)),
        }
    }

    pub fn list(inner: TypeRef) -> TypeRef {
        TypeRef::List(Box::new(inner))
    }

    /// The named type under every list and non-null wrapper.
    pub fn named(&self) -> &str {
        match self {
            TypeRef::Named(name) => name,
            TypeRef::List(inner) | TypeRef::NonNull(inner) => inner.named(),
        }
    }

    pub fn is_non_null(&self) -> bool {
        matches!(self, TypeRef::NonNull(_))
    }

    /// Whether the value is a list, whatever its nullability.
    pub fn is_list(&self) -> bool {
        match self {
            TypeRef::List(_) => true,
            TypeRef::NonNull(inner) => matches!(**inner, TypeRef::List(_)),
            TypeRef::Named(_) => false,
        }
    }

    /// The same type with its outer non-null wrapper removed.
    pub fn nullable(&self) -> TypeRef {
        match self {
            TypeRef::NonNull(inner) => (**inner).clone(),
            other => other.clone(),
        }
    }

    /// The same wrappers around a different base type.
    pub fn with_named(&self, name: &str) -> TypeRef {
        match self {
            TypeRef::Named(_) => TypeRef::new(name),
            TypeRef::List(inner) => TypeRef::List(Box::new(inner.with_named(name))),
            TypeRef::NonNull(inner) => TypeRef::NonNull(Box::new(inner.with_named(name))),
        }
    }

    fn from_ast(ty: &ast::Type<'_, String>) -> TypeRef {
        match ty {
            ast::Type::NamedType(name) => TypeRef::Named(name.clone()),
            ast::Type::ListType(inner) => TypeRef::List(Box::new(TypeRef::from_ast(inner))),
            ast::Type::NonNullType(inner) => TypeRef::NonNull(Box::new(TypeRef::from_ast(inner))),
        }
    }
}

impl fmt::Display for TypeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeRef::Named(name) => f.write_str(name),
            TypeRef::List(inner) => write!(f, "[{inner}]"),
            TypeRef::NonNull(inner) => write!(f, "{inner}!"),
        }
    }
}

/// What a field's base type turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldKind {
    Scalar(Scalar),
    Enum(String),
    /// A non-model object type defined in the same schema.
    Object(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub ty: TypeRef,
    pub kind: FieldKind,
}

impl Field {
    pub fn new(name: &str, ty: TypeRef, kind: FieldKind) -> Field {
        Field {
            name: name.to_string(),
            ty,
            kind,
        }
    }

    pub fn scalar(name: &str, ty: TypeRef, scalar: Scalar) -> Field {
        Field::new(name, ty, FieldKind::Scalar(scalar))
    }
}

/// AppSync authorization modes, one per `@aws_*` directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthMode {
    ApiKey,
    UserPools,
    Oidc,
    Iam,
    Lambda,
}

impl AuthMode {
    /// The order in which the transformer writes service directives.
    pub const DIRECTIVE_ORDER: [AuthMode; 5] = [
        AuthMode::ApiKey,
        AuthMode::Iam,
        AuthMode::Oidc,
        AuthMode::UserPools,
        AuthMode::Lambda,
    ];

    pub fn directive_name(self) -> &'static str {
        match self {
            AuthMode::ApiKey => "aws_api_key",
            AuthMode::UserPools => "aws_cognito_user_pools",
            AuthMode::Oidc => "aws_oidc",
            AuthMode::Iam => "aws_iam",
            AuthMode::Lambda => "aws_lambda",
        }
    }
}

/// The `allow:` of an `@auth` rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthStrategy {
    Public,
    Private,
    Owner,
    Groups,
    Custom,
}

/// The operations an `@auth` rule can grant (`read` expands to the five read operations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelOperation {
    Create,
    Update,
    Delete,
    Get,
    List,
    Sync,
    Listen,
    Search,
}

impl ModelOperation {
    /// What a rule without `operations:` grants.
    pub const ALL: [ModelOperation; 8] = [
        ModelOperation::Create,
        ModelOperation::Update,
        ModelOperation::Delete,
        ModelOperation::Get,
        ModelOperation::List,
        ModelOperation::Search,
        ModelOperation::Listen,
        ModelOperation::Sync,
    ];
    pub const READ: [ModelOperation; 5] = [
        ModelOperation::Get,
        ModelOperation::List,
        ModelOperation::Sync,
        ModelOperation::Listen,
        ModelOperation::Search,
    ];
}

/// One `@auth` rule with the transformer's defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthRule {
    pub strategy: AuthStrategy,
    pub provider: AuthMode,
    pub operations: Vec<ModelOperation>,
    /// Owner rules: the field holding the owner (default `owner`).
    pub owner_field: Option<String>,
    /// Owner rules: the token claim compared with the owner field, when given.
    pub identity_claim: Option<String>,
    /// Static group rules: the groups allowed.
    pub groups: Vec<String>,
    /// Dynamic group rules: the field holding the allowed groups (default `groups`).
    pub groups_field: Option<String>,
    /// Group rules: the token claim holding the caller's groups, when given.
    pub group_claim: Option<String>,
}

impl AuthRule {
    pub fn allows(&self, operation: ModelOperation) -> bool {
        self.operations.contains(&operation)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub name: String,
    /// The plural used in list and sync query names, e.g. `Todos`.
    pub plural: String,
    /// The fields as declared, in order; generated timestamps and metadata are not included.
    pub fields: Vec<Field>,
    /// Distinct modes of the `@auth` rules, in the order the rules name them.
    pub auth_modes: Vec<AuthMode>,
    /// The `@auth` rules; empty when the type has no `@auth`.
    pub auth_rules: Vec<AuthRule>,
}

/// Names of the root fields generated for one model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationNames {
    pub get: String,
    pub list: String,
    pub sync: String,
    pub create: String,
    pub update: String,
    pub delete: String,
    pub on_create: String,
    pub on_update: String,
    pub on_delete: String,
}

impl Model {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn has_auth(&self) -> bool {
        !self.auth_rules.is_empty()
    }

    pub fn operation_names(&self) -> OperationNames {
        let name = upper_first(&self.name);
        let plural = upper_first(&self.plural);
        OperationNames {
            get: format!("get{name}"),
            list: format!("list{plural}"),
            sync: format!("sync{plural}"),
            create: format!("create{name}"),
            update: format!("update{name}"),
            delete: format!("delete{name}"),
            on_create: subscription_name("onCreate", &name),
            on_update: subscription_name("onUpdate", &name),
            on_delete: subscription_name("onDelete", &name),
        }
    }

    pub fn connection_type_name(&self) -> String {
        format!("Model{}Connection", upper_first(&self.name))
    }
    pub fn filter_input_name(&self) -> String {
        format!("Model{}FilterInput", upper_first(&self.name))
    }
    pub fn condition_input_name(&self) -> String {
        format!("Model{}ConditionInput", upper_first(&self.name))
    }
    pub fn subscription_filter_input_name(&self) -> String {
        format!("ModelSubscription{}FilterInput", upper_first(&self.name))
    }
    pub fn create_input_name(&self) -> String {
        format!("Create{}Input", upper_first(&self.name))
    }
    pub fn update_input_name(&self) -> String {
        format!("Update{}Input", upper_first(&self.name))
    }
    pub fn delete_input_name(&self) -> String {
        format!("Delete{}Input", upper_first(&self.name))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnumType {
    pub name: String,
    pub values: Vec<String>,
}

impl EnumType {
    /// The filter input of a single-valued enum field.
    pub fn filter_input_name(&self) -> String {
        format!("Model{}Input", self.name)
    }
    /// The filter input of a list-of-enum field.
    pub fn list_filter_input_name(&self) -> String {
        format!("Model{}ListInput", self.name)
    }
}

/// A plain object type, stored inside models as a nested value.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectType {
    pub name: String,
    pub fields: Vec<Field>,
}

impl ObjectType {
    /// The input type that mirrors this type in create and update inputs.
    pub fn input_name(&self) -> String {
        format!("{}Input", upper_first(&self.name))
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelSchema {
    pub models: Vec<Model>,
    pub enums: Vec<EnumType>,
    pub objects: Vec<ObjectType>,
    /// Names of all user definitions in the order they were written; the generated API keeps
    /// them in that order.
    pub source_order: Vec<String>,
}

impl ModelSchema {
    pub fn model(&self, name: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.name == name)
    }
    pub fn enum_type(&self, name: &str) -> Option<&EnumType> {
        self.enums.iter().find(|e| e.name == name)
    }
    pub fn object(&self, name: &str) -> Option<&ObjectType> {
        self.objects.iter().find(|o| o.name == name)
    }
}

/// A problem in the user's schema, located where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl SchemaError {
    fn at(pos: Pos, message: impl Into<String>) -> SchemaError {
        SchemaError {
            line: pos.line,
            column: pos.column,
            message: message.into(),
        }
    }
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for SchemaError {}

/// Fields the transformer adds for conflict detection; users may not declare them.
pub const METADATA_FIELD_NAMES: [&str; 3] = ["_version", "_deleted", "_lastChangedAt"];

const RESERVED_TYPE_NAMES: [&str; 3] = ["Query", "Mutation", "Subscription"];

/// Names the generated API always defines, whatever the models.
const FIXED_GENERATED_NAMES: [&str; 15] = [
    "AmplifyAIConversationTurnErrorInput",
    "ModelStringInput",
    "ModelIntInput",
    "ModelFloatInput",
    "ModelBooleanInput",
    "ModelIDInput",
    "ModelSubscriptionStringInput",
    "ModelSubscriptionIntInput",
    "ModelSubscriptionFloatInput",
    "ModelSubscriptionBooleanInput",
    "ModelSubscriptionIDInput",
    "ModelAttributeTypes",
    "ModelSizeInput",
    "ModelSortDirection",
    "Query",
];

type AstObject = ast::ObjectType<'static, String>;

/// What a user-defined name stands for while fields are being resolved.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DefKind {
    Model,
    Object,
    Enum,
}

/// Parses and checks a user schema of `@model` types.
pub fn parse_model_schema(sdl: &str) -> Result<ModelSchema, SchemaError> {
    let document = ast::parse_schema::<String>(sdl)
        .map_err(|e| syntax_error(&e.to_string()))?
        .into_static();

    let mut kinds: HashMap<String, DefKind> = HashMap::new();
    let mut positions: HashMap<String, Pos> = HashMap::new();
    let mut source_order = Vec::new();
    let mut objects: Vec<(&AstObject, bool)> = Vec::new();
    let mut enums = Vec::new();

    for definition in &document.definitions {
        let (pos, name, kind) = match definition {
            Definition::TypeDefinition(TypeDefinition::Object(object)) => {
                let is_model = check_object_directives(object)?;
                objects.push((object, is_model));
                let kind = if is_model {
                    DefKind::Model
                } else {
                    DefKind::Object
                };
                (object.position, &object.name, kind)
            }
            Definition::TypeDefinition(TypeDefinition::Enum(enum_type)) => {
                enums.push(read_enum(enum_type)?);
                (enum_type.position, &enum_type.name, DefKind::Enum)
            }
            other => return Err(unsupported_definition(other)),
        };
        if Scalar::from_name(name).is_some() {
            return Err(SchemaError::at(
                pos,
                format!("`{name}` is a built-in scalar and cannot be redefined"),
            ));
        }
        if kinds.insert(name.clone(), kind).is_some() {
            return Err(SchemaError::at(
                pos,
                format!("type `{name}` is defined more than once"),
            ));
        }
        positions.insert(name.clone(), pos);
        source_order.push(name.clone());
    }

    let mut schema = ModelSchema {
        source_order,
        enums,
        ..ModelSchema::default()
    };
    for (object, is_model) in objects {
        let fields = read_fields(object, &kinds, is_model)?;
        if is_model {
            schema.models.push(read_model(object, fields)?);
        } else {
            schema.objects.push(ObjectType {
                name: object.name.clone(),
                fields,
            });
        }
    }

    if schema.models.is_empty() {
        return Err(SchemaError {
            line: 1,
            column: 1,
            message: "the schema has no @model type, so there is no API to generate".to_string(),
        });
    }
    check_generated_names(&schema, &positions)?;
    Ok(schema)
}

/// graphql-parser reports positions only inside its message ("Parse error at 3:1\n...").
fn syntax_error(text: &str) -> SchemaError {
    let detail = text
        .split_once("Parse error at ")
        .map(|(_, rest)| rest)
        .unwrap_or(text);
    let mut lines = detail.lines();
    let position = lines.next().unwrap_or_default();
    let mut parts = position.split(':').map(|n| n.trim().parse::<usize>());
    match (parts.next(), parts.next()) {
        (Some(Ok(line)), Some(Ok(column))) => {
            let reason: Vec<&str> = lines.map(str::trim).filter(|l| !l.is_empty()).collect();
            SchemaError {
                line,
                column,
                message: format!("syntax error: {}", reason.join("; ")),
            }
        }
        _ => SchemaError {
            line: 1,
            column: 1,
            message: format!("syntax error: {}", text.trim()),
        },
    }
}

fn unsupported_definition(definition: &Definition<'static, String>) -> SchemaError {
    let (pos, what) = match definition {
        Definition::SchemaDefinition(d) => (d.position, "a schema definition".to_string()),
        Definition::DirectiveDefinition(d) => {
            (d.position, format!("directive definition @{}", d.name))
        }
        Definition::TypeExtension(ext) => {
            let pos = match ext {
                ast::TypeExtension::Scalar(e) => e.position,
                ast::TypeExtension::Object(e) => e.position,
                ast::TypeExtension::Interface(e) => e.position,
                ast::TypeExtension::Union(e) => e.position,
                ast::TypeExtension::Enum(e) => e.position,
                ast::TypeExtension::InputObject(e) => e.position,
            };
            (pos, "a type extension".to_string())
        }
        Definition::TypeDefinition(def) => match def {
            TypeDefinition::Scalar(s) => (s.position, format!("custom scalar `{}`", s.name)),
            TypeDefinition::Interface(i) => (i.position, format!("interface `{}`", i.name)),
            TypeDefinition::Union(u) => (u.position, format!("union `{}`", u.name)),
            TypeDefinition::InputObject(i) => (i.position, format!("input type `{}`", i.name)),
            TypeDefinition::Object(o) => (o.position, format!("type `{}`", o.name)),
            TypeDefinition::Enum(e) => (e.position, format!("enum `{}`", e.name)),
        },
    };
    SchemaError::at(
        pos,
        format!("{what} is not supported; only `type` (with or without @model) and `enum` definitions are"),
    )
}

/// Returns whether the type is a `@model`, refusing any directive the mock cannot honour.
fn check_object_directives(object: &AstObject) -> Result<bool, SchemaError> {
    let name = &object.name;
    if RESERVED_TYPE_NAMES.contains(&name.as_str()) {
        return Err(SchemaError::at(
            object.position,
            format!("type `{name}` is reserved: custom queries, mutations and subscriptions are not supported"),
        ));
    }
    if let Some(interface) = object.implements_interfaces.first() {
        return Err(SchemaError::at(
            object.position,
            format!("type `{name}` implements `{interface}`, but interfaces are not supported"),
        ));
    }
    let mut model = None;
    let mut auth = None;
    for directive in &object.directives {
        let slot = match directive.name.as_str() {
            "model" => &mut model,
            "auth" => &mut auth,
            other => {
                return Err(unsupported_directive(
                    directive.position,
                    other,
                    &format!("type `{name}`"),
                ))
            }
        };
        if slot.is_some() {
            return Err(SchemaError::at(
                directive.position,
                format!(
                    "@{} appears more than once on type `{name}`",
                    directive.name
                ),
            ));
        }
        *slot = Some(directive);
    }
    if let Some(model) = model {
        // Renamed or disabled operations and custom timestamps would change the generated API;
        // rather than generate a subtly different one, refuse them.
        if let Some((arg, _)) = model.arguments.first() {
            return Err(SchemaError::at(
                model.position,
                format!("@model argument `{arg}` on type `{name}` is not supported; use @model without arguments"),
            ));
        }
    } else if let Some(auth) = auth {
        return Err(SchemaError::at(
            auth.position,
            format!("@auth on type `{name}` requires @model (non-model types cannot carry @auth)"),
        ));
    }
    Ok(model.is_some())
}

fn unsupported_directive(pos: Pos, directive: &str, on: &str) -> SchemaError {
    SchemaError::at(
        pos,
        format!(
            "unsupported directive @{directive} on {on}; only @model and @auth(rules: [...]) on object types are supported"
        ),
    )
}

fn read_enum(enum_type: &ast::EnumType<'static, String>) -> Result<EnumType, SchemaError> {
    if let Some(directive) = enum_type.directives.first() {
        return Err(unsupported_directive(
            directive.position,
            &directive.name,
            &format!("enum `{}`", enum_type.name),
        ));
    }
    let mut values: Vec<String> = Vec::new();
    for value in &enum_type.values {
        if let Some(directive) = value.directives.first() {
            let on = format!("enum value `{}.{}`", enum_type.name, value.name);
            return Err(unsupported_directive(
                directive.position,
                &directive.name,
                &on,
            ));
        }
        if values.contains(&value.name) {
            return Err(SchemaError::at(
                value.position,
                format!(
                    "enum `{}` lists `{}` more than once",
                    enum_type.name, value.name
                ),
            ));
        }
        values.push(value.name.clone());
    }
    Ok(EnumType {
        name: enum_type.name.clone(),
        values,
    })
}

fn read_fields(
    object: &AstObject,
    kinds: &HashMap<String, DefKind>,
    is_model: bool,
) -> Result<Vec<Field>, SchemaError> {
    let type_name = &object.name;
    if object.fields.is_empty() {
        return Err(SchemaError::at(
            object.position,
            format!("type `{type_name}` has no fields"),
        ));
    }
    let mut fields: Vec<Field> = Vec::new();
    for field in &object.fields {
        let on = format!("field `{}` of type `{type_name}`", field.name);
        if let Some(directive) = field.directives.first() {
            return Err(unsupported_directive(
                directive.position,
                &directive.name,
                &on,
            ));
        }
        if !field.arguments.is_empty() {
            return Err(SchemaError::at(
                field.position,
                format!("{on} has arguments, which are not supported"),
            ));
        }
        if fields.iter().any(|f| f.name == field.name) {
            return Err(SchemaError::at(
                field.position,
                format!("{on} is declared more than once"),
            ));
        }
        if is_model && METADATA_FIELD_NAMES.contains(&field.name.as_str()) {
            return Err(SchemaError::at(
                field.position,
                format!("{on} uses a name reserved for conflict-detection metadata"),
            ));
        }
        let ty = TypeRef::from_ast(&field.field_type);
        let base = ty.named();
        let kind = if let Some(scalar) = Scalar::from_name(base) {
            FieldKind::Scalar(scalar)
        } else {
            match kinds.get(base) {
                Some(DefKind::Enum) => FieldKind::Enum(base.to_string()),
                Some(DefKind::Object) => FieldKind::Object(base.to_string()),
                Some(DefKind::Model) => {
                    return Err(SchemaError::at(
                        field.position,
                        format!("{on} refers to @model type `{base}`; relations between models are not supported"),
                    ));
                }
                None => {
                    return Err(SchemaError::at(
                        field.position,
                        format!("{on} has unknown type `{base}`"),
                    ));
                }
            }
        };
        fields.push(Field {
            name: field.name.clone(),
            ty,
            kind,
        });
    }
    Ok(fields)
}

fn read_model(object: &AstObject, fields: Vec<Field>) -> Result<Model, SchemaError> {
    let name = &object.name;
    let id_ok = fields
        .iter()
        .any(|f| f.name == "id" && f.ty == TypeRef::non_null(TypeRef::new("ID")));
    if !id_ok {
        let pos = object
            .fields
            .iter()
            .find(|f| f.name == "id")
            .map_or(object.position, |f| f.position);
        return Err(SchemaError::at(
            pos,
            format!("@model type `{name}` must declare `id: ID!`"),
        ));
    }
    let auth_rules = match object.directives.iter().find(|d| d.name == "auth") {
        Some(directive) => read_auth_rules(directive, name)?,
        None => Vec::new(),
    };
    let mut auth_modes = Vec::new();
    for rule in &auth_rules {
        if !auth_modes.contains(&rule.provider) {
            auth_modes.push(rule.provider);
        }
    }
    Ok(Model {
        name: name.clone(),
        plural: pluralize(name),
        fields,
        auth_modes,
        auth_rules,
    })
}

type AstValue = ast::Value<'static, String>;

fn read_auth_rules(
    directive: &ast::Directive<'static, String>,
    type_name: &str,
) -> Result<Vec<AuthRule>, SchemaError> {
    let pos = directive.position;
    let fail =
        |message: String| SchemaError::at(pos, format!("@auth on type `{type_name}`: {message}"));
    let mut rules_value = None;
    for (arg, value) in &directive.arguments {
        if arg != "rules" {
            return Err(fail(format!("unknown argument `{arg}` (expected `rules`)")));
        }
        rules_value = Some(value);
    }
    let Some(AstValue::List(items)) = rules_value else {
        return Err(fail("expected `rules: [...]`".to_string()));
    };
    let mut rules = Vec::new();
    for item in items {
        let AstValue::Object(entries) = item else {
            return Err(fail(format!(
                "each rule must be an object like {{ allow: public }}, found `{item}`"
            )));
        };
        rules.push(read_auth_rule(entries).map_err(fail)?);
    }
    if rules.is_empty() {
        return Err(fail("`rules` is empty".to_string()));
    }
    Ok(rules)
}

fn read_auth_rule(
    entries: &std::collections::BTreeMap<String, AstValue>,
) -> Result<AuthRule, String> {
    let mut allow = None;
    let mut provider = None;
    let mut rule = AuthRule {
        strategy: AuthStrategy::Public,
        provider: AuthMode::ApiKey,
        operations: ModelOperation::ALL.to_vec(),
        owner_field: None,
        identity_claim: None,
        groups: Vec::new(),
        groups_field: None,
        group_claim: None,
    };
    for (key, value) in entries {
        match key.as_str() {
            "allow" => allow = Some(word(value, key)?),
            "provider" => provider = Some(word(value, key)?),
            "ownerField" => rule.owner_field = Some(word(value, key)?),
            "identityClaim" => rule.identity_claim = Some(word(value, key)?),
            "groupsField" => rule.groups_field = Some(word(value, key)?),
            "groupClaim" => rule.group_claim = Some(word(value, key)?),
            "groups" => rule.groups = words(value, key)?,
            "operations" => rule.operations = read_operations(value)?,
            other => return Err(format!("unsupported rule field `{other}`")),
        }
    }
    let allow = allow.ok_or_else(|| "every rule needs `allow`".to_string())?;
    rule.strategy = match allow.as_str() {
        "public" => AuthStrategy::Public,
        "private" => AuthStrategy::Private,
        "owner" => AuthStrategy::Owner,
        "groups" => AuthStrategy::Groups,
        "custom" => AuthStrategy::Custom,
        other => {
            return Err(format!(
                "unknown `allow: {other}` (expected public, private, owner, groups or custom)"
            ))
        }
    };
    // Providers each strategy accepts, default first, as the transformer validates them.
    let accepted: &[(&str, AuthMode)] = match rule.strategy {
        AuthStrategy::Public => &[
            ("apiKey", AuthMode::ApiKey),
            ("iam", AuthMode::Iam),
            ("identityPool", AuthMode::Iam),
        ],
        AuthStrategy::Private => &[
            ("userPools", AuthMode::UserPools),
            ("oidc", AuthMode::Oidc),
            ("iam", AuthMode::Iam),
            ("identityPool", AuthMode::Iam),
        ],
        AuthStrategy::Owner | AuthStrategy::Groups => {
            &[("userPools", AuthMode::UserPools), ("oidc", AuthMode::Oidc)]
        }
        AuthStrategy::Custom => &[("function", AuthMode::Lambda)],
    };
    rule.provider = match &provider {
        None => accepted[0].1,
        Some(name) => accepted
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, mode)| *mode)
            .ok_or_else(|| format!("`provider: {name}` cannot be used with `allow: {allow}`"))?,
    };
    if rule.strategy == AuthStrategy::Owner {
        rule.owner_field.get_or_insert_with(|| "owner".to_string());
    }
    // Group rules without a static list read the allowed groups from a field.
    if rule.strategy == AuthStrategy::Groups && rule.groups.is_empty() {
        rule.groups_field
            .get_or_insert_with(|| "groups".to_string());
    }
    Ok(rule)
}

fn word(value: &AstValue, key: &str) -> Result<String, String> {
    match value {
        AstValue::Enum(s) | AstValue::String(s) => Ok(s.clone()),
        other => Err(format!(
            "`{key}` must be a name or a string, found `{other}`"
        )),
    }
}

fn words(value: &AstValue, key: &str) -> Result<Vec<String>, String> {
    match value {
        AstValue::List(items) => items.iter().map(|v| word(v, key)).collect(),
        single => Ok(vec![word(single, key)?]),
    }
}

fn read_operations(value: &AstValue) -> Result<Vec<ModelOperation>, String> {
    let mut operations = Vec::new();
    for name in words(value, "operations")? {
        let granted: &[ModelOperation] = match name.as_str() {
            "create" => &[ModelOperation::Create],
            "update" => &[ModelOperation::Update],
            "delete" => &[ModelOperation::Delete],
            "get" => &[ModelOperation::Get],
            "list" => &[ModelOperation::List],
            "sync" => &[ModelOperation::Sync],
            "listen" => &[ModelOperation::Listen],
            "search" => &[ModelOperation::Search],
            "read" => &ModelOperation::READ,
            other => return Err(format!("unknown operation `{other}`")),
        };
        for op in granted {
            if !operations.contains(op) {
                operations.push(*op);
            }
        }
    }
    Ok(operations)
}

/// A user type named like a generated one, or two user types whose generated names coincide,
/// would produce two definitions of one name.
fn check_generated_names(
    schema: &ModelSchema,
    positions: &HashMap<String, Pos>,
) -> Result<(), SchemaError> {
    let mut owners: Vec<(String, String)> = Vec::new();
    for name in FIXED_GENERATED_NAMES
        .iter()
        .chain(&["Mutation", "Subscription"])
    {
        owners.push(((*name).to_string(), String::new()));
    }
    for model in &schema.models {
        let names = [
            model.connection_type_name(),
            model.filter_input_name(),
            model.condition_input_name(),
            model.subscription_filter_input_name(),
            model.create_input_name(),
            model.update_input_name(),
            model.delete_input_name(),
        ];
        owners.extend(names.into_iter().map(|n| (n, model.name.clone())));
    }
    for enum_type in &schema.enums {
        owners.push((enum_type.filter_input_name(), enum_type.name.clone()));
        owners.push((enum_type.list_filter_input_name(), enum_type.name.clone()));
    }
    for object in &schema.objects {
        owners.push((object.input_name(), object.name.clone()));
    }
    let describe = |owner: &str| {
        if owner.is_empty() {
            "every API".to_string()
        } else {
            format!("`{owner}`")
        }
    };
    let position_of = |owner: &str| {
        positions
            .get(owner)
            .copied()
            .unwrap_or(Pos { line: 1, column: 1 })
    };

    let mut seen: HashMap<&str, &str> = HashMap::new();
    for (name, owner) in &owners {
        if let Some(user_pos) = positions.get(name) {
            return Err(SchemaError::at(
                *user_pos,
                format!(
                    "type `{name}` clashes with the type of that name generated for {}",
                    describe(owner)
                ),
            ));
        }
        match seen.get(name.as_str()) {
            Some(previous) if previous != owner => {
                return Err(SchemaError::at(
                    position_of(owner),
                    format!(
                        "generated type `{name}` is needed by both {} and {}",
                        describe(previous),
                        describe(owner)
                    ),
                ));
            }
            _ => {
                seen.insert(name, owner);
            }
        }
    }
    Ok(())
}

pub(crate) fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// AppSync limits subscription names to 50 characters; the transformer shortens longer ones
/// with a hash so they stay unique.
fn subscription_name(prefix: &str, type_name: &str) -> String {
    let name = format!("{prefix}{type_name}");
    if name.len() <= 50 {
        return name;
    }
    let digest = md5_hex(name.as_bytes());
    format!("{}{}", &name[..45], &digest[..5])
}

/// MD5, only for the transformer's subscription-name shortening.
pub(crate) fn md5_hex(input: &[u8]) -> String {
    const SHIFTS: [u32; 64] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5,
        9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10,
        15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];
    let constants: Vec<u32> = (0..64u32)
        .map(|i| ((f64::from(i) + 1.0).sin().abs() * 4_294_967_296.0) as u32)
        .collect();
    let mut message = input.to_vec();
    let bit_len = (input.len() as u64).wrapping_mul(8);
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bit_len.to_le_bytes());

    let mut state: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];
    for block in message.chunks_exact(64) {
        let mut words = [0u32; 16];
        for (word, bytes) in words.iter_mut().zip(block.chunks_exact(4)) {
            *word = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        let [mut a, mut b, mut c, mut d] = state;
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let rotated = a
                .wrapping_add(f)
                .wrapping_add(constants[i])
                .wrapping_add(words[g])
                .rotate_left(SHIFTS[i]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(rotated);
        }
        for (s, v) in state.iter_mut().zip([a, b, c, d]) {
            *s = s.wrapping_add(v);
        }
    }
    state
        .iter()
        .flat_map(|s| s.to_le_bytes())
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Pluralizes a type name the way the `pluralize` npm package does, which is what Amplify
/// uses for list and sync query names (Todo → Todos, Category → Categories, Person → People).
pub fn pluralize(word: &str) -> String {
    let token = word.to_ascii_lowercase();
    if IRREGULAR.iter().any(|(_, plural)| *plural == token) {
        return restore_case(word, &token);
    }
    if let Some((_, plural)) = IRREGULAR.iter().find(|(single, _)| *single == token) {
        return restore_case(word, plural);
    }
    if token.is_empty() || UNCOUNTABLE.contains(&token.as_str()) || is_uncountable_pattern(&token) {
        return word.to_string();
    }
    match plural_rule(&token, word) {
        Some(Rewrite::Keep) | None => word.to_string(),
        Some(Rewrite::Suffix { start, replacement }) => {
            let matched = &word[start..];
            let restored = if matched.is_empty() {
                // An empty match takes its case from the character before it.
                restore_case(&word[start.saturating_sub(1)..start], &replacement)
            } else {
                restore_case(matched, &replacement)
            };
            format!("{}{}", &word[..start], restored)
        }
    }
}

const IRREGULAR: [(&str, &str); 48] = [
    ("i", "we"),
    ("me", "us"),
    ("he", "they"),
    ("she", "they"),
    ("them", "them"),
    ("myself", "ourselves"),
    ("yourself", "yourselves"),
    ("itself", "themselves"),
    ("herself", "themselves"),
    ("himself", "themselves"),
    ("themself", "themselves"),
    ("is", "are"),
    ("was", "were"),
    ("has", "have"),
    ("this", "these"),
    ("that", "those"),
    ("echo", "echoes"),
    ("dingo", "dingoes"),
    ("volcano", "volcanoes"),
    ("tornado", "tornadoes"),
    ("torpedo", "torpedoes"),
    ("genus", "genera"),
    ("viscus", "viscera"),
    ("stigma", "stigmata"),
    ("stoma", "stomata"),
    ("dogma", "dogmata"),
    ("lemma", "lemmata"),
    ("schema", "schemata"),
    ("anathema", "anathemata"),
    ("ox", "oxen"),
    ("axe", "axes"),
    ("die", "dice"),
    ("yes", "yeses"),
    ("foot", "feet"),
    ("eave", "eaves"),
    ("goose", "geese"),
    ("tooth", "teeth"),
    ("quiz", "quizzes"),
    ("human", "humans"),
    ("proof", "proofs"),
    ("carve", "carves"),
    ("valve", "valves"),
    ("looey", "looies"),
    ("thief", "thieves"),
    ("groove", "grooves"),
    ("pickaxe", "pickaxes"),
    ("passerby", "passersby"),
    ("canvas", "canvases"),
];

const UNCOUNTABLE: &[&str] = &[
    "adulthood",
    "advice",
    "agenda",
    "aid",
    "aircraft",
    "alcohol",
    "ammo",
    "analytics",
    "anime",
    "athletics",
    "audio",
    "bison",
    "blood",
    "bream",
    "buffalo",
    "butter",
    "carp",
    "cash",
    "chassis",
    "chess",
    "clothing",
    "cod",
    "commerce",
    "cooperation",
    "corps",
    "debris",
    "diabetes",
    "digestion",
    "elk",
    "energy",
    "equipment",
    "excretion",
    "expertise",
    "firmware",
    "flounder",
    "fun",
    "gallows",
    "garbage",
    "graffiti",
    "hardware",
    "headquarters",
    "health",
    "herpes",
    "highjinks",
    "homework",
    "housework",
    "information",
    "jeans",
    "justice",
    "kudos",
    "labour",
    "literature",
    "machinery",
    "mackerel",
    "mail",
    "media",
    "mews",
    "moose",
    "music",
    "mud",
    "manga",
    "news",
    "only",
    "personnel",
    "pike",
    "plankton",
    "pliers",
    "police",
    "pollution",
    "premises",
    "rain",
    "research",
    "rice",
    "salmon",
    "scissors",
    "series",
    "sewage",
    "shambles",
    "shrimp",
    "software",
    "staff",
    "species",
    "swine",
    "tennis",
    "traffic",
    "transportation",
    "trout",
    "tuna",
    "wealth",
    "welfare",
    "whiting",
    "wildebeest",
    "wildlife",
    "you",
];

fn is_uncountable_pattern(token: &str) -> bool {
    [
        "pokemon", "deer", "fish", "measles", "pox", "sheep", "ois", "ous",
    ]
    .iter()
    .any(|suffix| token.ends_with(suffix))
        || ends_with_class(token, &[Class::NoneOf("aeiou"), Class::Lit("ese")]).is_some()
}

/// One position of a suffix pattern: literal text or a single character from (or not from) a set.
#[derive(Clone, Copy)]
enum Class {
    Lit(&'static str),
    AnyOf(&'static str),
    NoneOf(&'static str),
}

/// Where `token` ends with the pattern, if it does.
fn ends_with_class(token: &str, pattern: &[Class]) -> Option<usize> {
    let bytes = token.as_bytes();
    let mut end = bytes.len();
    for class in pattern.iter().rev() {
        match class {
            Class::Lit(text) => {
                let start = end.checked_sub(text.len())?;
                if &bytes[start..end] != text.as_bytes() {
                    return None;
                }
                end = start;
            }
            Class::AnyOf(set) | Class::NoneOf(set) => {
                let start = end.checked_sub(1)?;
                let in_set = set.as_bytes().contains(&bytes[start]);
                if in_set != matches!(class, Class::AnyOf(_)) {
                    return None;
                }
                end = start;
            }
        }
    }
    Some(end)
}

enum Rewrite {
    Keep,
    Suffix { start: usize, replacement: String },
}

/// Leftmost match of `(stem1|stem2|...)(?:tail1|tail2|...)$`, as a regex would find it:
/// returns the start and the matched stem's length.
fn stem_tail(token: &str, stems: &[&[Class]], tails: &[&str]) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    for tail in tails {
        let Some(body) = token.strip_suffix(tail) else {
            continue;
        };
        for stem in stems {
            if let Some(start) = ends_with_class(body, stem) {
                if best.is_none_or(|(s, _)| start < s) {
                    best = Some((start, body.len() - start));
                }
            }
        }
    }
    best
}

fn lits(words: &'static [&'static str]) -> Vec<[Class; 1]> {
    words.iter().map(|w| [Class::Lit(w)]).collect()
}

fn stem_tail_lits(
    token: &str,
    stems: &'static [&'static str],
    tails: &[&str],
) -> Option<(usize, usize)> {
    let patterns = lits(stems);
    let refs: Vec<&[Class]> = patterns.iter().map(|p| p.as_slice()).collect();
    stem_tail(token, &refs, tails)
}

/// The `pluralize` package's plural rules, newest first, as it tries them.
fn plural_rule(token: &str, word: &str) -> Option<Rewrite> {
    let len = token.len();
    let keep_stem = |start: usize, stem_len: usize, ending: &str| Rewrite::Suffix {
        start,
        replacement: format!("{}{ending}", &word[start..start + stem_len]),
    };
    if token == "thou" {
        return Some(Rewrite::Suffix {
            start: 0,
            replacement: "you".to_string(),
        });
    }
    if token.ends_with("man") || token.ends_with("men") {
        return Some(Rewrite::Suffix {
            start: len - 3,
            replacement: "men".to_string(),
        });
    }
    if token.ends_with("eaux") {
        return Some(Rewrite::Keep);
    }
    if let Some((start, stem)) = stem_tail_lits(token, &["child"], &["ren", ""]) {
        return Some(keep_stem(start, stem, "ren"));
    }
    if let Some((start, stem)) = stem_tail_lits(token, &["pe"], &["rson", "ople"]) {
        return Some(keep_stem(start, stem, "ople"));
    }
    if let Some((0, stem)) = stem_tail_lits(token, &["titm", "m", "l"], &["ice", "ouse"]) {
        return Some(keep_stem(0, stem, "ice"));
    }
    if let Some((start, stem)) = stem_tail_lits(
        token,
        &["matr", "cod", "mur", "sil", "vert", "ind", "append"],
        &["ix", "ex"],
    ) {
        return Some(keep_stem(start, stem, "ices"));
    }
    if let Some((start, stem)) = stem_tail_lits(token, &["x", "ch", "ss", "sh", "zz"], &[""]) {
        return Some(keep_stem(start, stem, "es"));
    }
    let ey = [Class::NoneOf("ch"), Class::AnyOf("ieo"), Class::AnyOf("ln")];
    if let Some((start, stem)) = stem_tail(token, &[&ey], &["ey"]) {
        return Some(keep_stem(start, stem, "ies"));
    }
    let y_stems: [&[Class]; 2] = [&[Class::NoneOf("aeiouy")], &[Class::Lit("qu")]];
    if let Some((start, stem)) = stem_tail(token, &y_stems, &["y"]) {
        return Some(keep_stem(start, stem, "ies"));
    }
    let fe = stem_tail_lits(token, &["kni", "wi", "li"], &["fe"]);
    let f = stem_tail_lits(token, &["ar", "l", "ea", "eo", "oa", "hoo"], &["f"]);
    let leftmost = match (fe, f) {
        (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
        (a, b) => a.or(b),
    };
    if let Some((start, stem)) = leftmost {
        return Some(keep_stem(start, stem, "ves"));
    }
    if token.ends_with("sis") {
        return Some(Rewrite::Suffix {
            start: len - 3,
            replacement: "ses".to_string(),
        });
    }
    const ON_STEMS: [&str; 11] = [
        "apheli",
        "hyperbat",
        "periheli",
        "asyndet",
        "noumen",
        "phenomen",
        "criteri",
        "organ",
        "prolegomen",
        "hedr",
        "automat",
    ];
    if let Some((start, stem)) = stem_tail_lits(token, &ON_STEMS, &["a", "on"]) {
        return Some(keep_stem(start, stem, "a"));
    }
    const UM_STEMS: [&str; 15] = [
        "agend",
        "addend",
        "millenni",
        "dat",
        "extrem",
        "bacteri",
        "desiderat",
        "strat",
        "candelabr",
        "errat",
        "ov",
        "symposi",
        "curricul",
        "automat",
        "quor",
    ];
    if let Some((start, stem)) = stem_tail_lits(token, &UM_STEMS, &["a", "um"]) {
        return Some(keep_stem(start, stem, "a"));
    }
    if let Some((start, stem)) = stem_tail_lits(token, &["her", "at", "gr"], &["o"]) {
        return Some(keep_stem(start, stem, "oes"));
    }
    if let Some((start, stem)) = stem_tail_lits(token, &["seraph", "cherub"], &["im", ""]) {
        return Some(keep_stem(start, stem, "im"));
    }
    if let Some((start, stem)) = stem_tail_lits(token, &["alumn", "alg", "vertebr"], &["a", "ae"]) {
        return Some(keep_stem(start, stem, "ae"));
    }
    const I_STEMS: [&str; 14] = [
        "alumn", "syllab", "vir", "radi", "nucle", "fung", "cact", "stimul", "termin", "bacill",
        "foc", "uter", "loc", "strat",
    ];
    if let Some((start, stem)) = stem_tail_lits(token, &I_STEMS, &["us", "i"]) {
        return Some(keep_stem(start, stem, "i"));
    }
    let kept: [&[Class]; 4] = [
        &[Class::NoneOf("l"), Class::Lit("ias")],
        &[Class::AnyOf("aeiou"), Class::Lit("las")],
        &[Class::AnyOf("ejzr"), Class::Lit("as")],
        &[Class::AnyOf("iu"), Class::Lit("am")],
    ];
    if stem_tail(token, &kept, &[""]).is_some() {
        return Some(Rewrite::Keep);
    }
    let emu: [&[Class]; 1] = [&[Class::Lit("e"), Class::AnyOf("mn"), Class::Lit("u")]];
    if let Some((start, stem)) = stem_tail(token, &emu, &["s", ""]) {
        return Some(keep_stem(start, stem, "s"));
    }
    let es_stems: [&[Class]; 5] = [
        &[Class::Lit("alias")],
        &[Class::NoneOf("aou"), Class::Lit("us")],
        &[Class::Lit("t"), Class::AnyOf("lm"), Class::Lit("as")],
        &[Class::Lit("gas")],
        &[Class::Lit("ris")],
    ];
    if let Some((start, stem)) = stem_tail(token, &es_stems, &[""]) {
        return Some(keep_stem(start, stem, "es"));
    }
    if let Some((start, stem)) = stem_tail_lits(token, &["ax", "test"], &["is"]) {
        return Some(keep_stem(start, stem, "es"));
    }
    if ends_with_class(token, &[Class::NoneOf("aeiou"), Class::Lit("ese")]).is_some() {
        return Some(Rewrite::Keep);
    }
    let start = if token.ends_with('s') { len - 1 } else { len };
    Some(Rewrite::Suffix {
        start,
        replacement: "s".to_string(),
    })
}

/// Gives `token` the letter case of `word`, as `pluralize` does.
fn restore_case(word: &str, token: &str) -> String {
    if word == token {
        return token.to_string();
    }
    if word == word.to_ascii_lowercase() {
        return token.to_ascii_lowercase();
    }
    if word == word.to_ascii_uppercase() {
        return token.to_ascii_uppercase();
    }
    if word.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
        return upper_first(&token.to_ascii_lowercase());
    }
    token.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(sdl: &str) -> SchemaError {
        match parse_model_schema(sdl) {
            Ok(schema) => panic!("expected an error, got {schema:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn pluralizes_like_amplify() {
        let cases = [
            ("Todo", "Todos"),
            ("Category", "Categories"),
            ("Status", "Statuses"),
            ("Box", "Boxes"),
            ("Church", "Churches"),
            ("Person", "People"),
            ("Key", "Keys"),
            ("Post", "Posts"),
            ("BlogPost", "BlogPosts"),
            ("Address", "Addresses"),
            ("Quiz", "Quizzes"),
            ("Leaf", "Leaves"),
            ("Wife", "Wives"),
            ("Child", "Children"),
            ("Data", "Data"),
            ("Equipment", "Equipment"),
            ("Analysis", "Analyses"),
            ("City", "Cities"),
            ("Day", "Days"),
            ("Hero", "Heroes"),
            ("Photo", "Photos"),
            ("Mouse", "Mice"),
            ("Woman", "Women"),
            ("Sheep", "Sheep"),
            ("Series", "Series"),
            ("Bus", "Buses"),
            ("Axis", "Axes"),
            ("Criterion", "Criteria"),
            ("Index", "Indices"),
            ("Matrix", "Matrices"),
            ("Menu", "Menus"),
            ("SalesPerson", "SalesPeople"),
            ("People", "People"),
            ("Todos", "Todos"),
            ("Soliloquy", "Soliloquies"),
        ];
        for (single, plural) in cases {
            assert_eq!(pluralize(single), plural, "pluralize({single})");
        }
    }

    #[test]
    fn md5_matches_known_digests() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            md5_hex(b"The quick brown fox jumps over the lazy dog"),
            "9e107d9d372bb6826bd81d3542a419d6"
        );
        let long = [b'a'; 200];
        assert_eq!(md5_hex(&long).len(), 32);
    }

    #[test]
    fn long_subscription_names_are_shortened_with_a_hash() {
        let long = "A".repeat(50);
        let name = subscription_name("onCreate", &long);
        assert_eq!(name.len(), 50);
        assert!(name.starts_with("onCreateAAAA"));
        assert_eq!(
            &name[45..],
            &md5_hex(format!("onCreate{long}").as_bytes())[..5]
        );
        assert_eq!(subscription_name("onCreate", "Todo"), "onCreateTodo");
    }

    #[test]
    fn type_ref_displays_as_graphql() {
        let ty = TypeRef::non_null(TypeRef::list(TypeRef::non_null(TypeRef::new("String"))));
        assert_eq!(ty.to_string(), "[String!]!");
        assert!(ty.is_list() && ty.is_non_null());
        assert_eq!(ty.named(), "String");
        assert_eq!(ty.nullable().to_string(), "[String!]");
        assert_eq!(ty.with_named("AInput").to_string(), "[AInput!]!");
    }

    #[test]
    fn reads_models_enums_objects_and_auth() {
        let schema = parse_model_schema(
            r#"
            enum Status { OPEN DONE }
            type Note { text: String, tags: [String!] }
            type Todo @model @auth(rules: [{ allow: owner }, { allow: public, operations: [read] }, { allow: private, provider: iam }]) {
              id: ID!
              status: Status
              note: Note
              due: AWSDateTime
            }
            "#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(schema.source_order, ["Status", "Note", "Todo"]);
        let todo = schema.model("Todo").unwrap_or_else(|| panic!("no Todo"));
        assert_eq!(todo.plural, "Todos");
        assert_eq!(todo.fields[1].kind, FieldKind::Enum("Status".into()));
        assert_eq!(todo.fields[2].kind, FieldKind::Object("Note".into()));
        assert_eq!(todo.fields[3].kind, FieldKind::Scalar(Scalar::AwsDateTime));
        assert_eq!(
            todo.auth_modes,
            [AuthMode::UserPools, AuthMode::ApiKey, AuthMode::Iam]
        );
        assert_eq!(todo.auth_rules[0].owner_field.as_deref(), Some("owner"));
        assert_eq!(todo.auth_rules[1].operations, ModelOperation::READ);
        assert_eq!(todo.operation_names().list, "listTodos");
        assert_eq!(schema.enum_type("Status").map(|e| e.values.len()), Some(2));
        assert_eq!(schema.object("Note").map(|o| o.fields.len()), Some(2));
    }

    #[test]
    fn auth_rules_map_to_modes() {
        let modes = |rules: &str| {
            let sdl = format!("type T @model @auth(rules: [{rules}]) {{ id: ID! }}");
            parse_model_schema(&sdl)
                .map(|s| s.models[0].auth_modes.clone())
                .unwrap_or_else(|e| panic!("{e}"))
        };
        assert_eq!(modes("{allow: public}"), [AuthMode::ApiKey]);
        assert_eq!(modes("{allow: public, provider: iam}"), [AuthMode::Iam]);
        assert_eq!(
            modes("{allow: public, provider: apiKey}"),
            [AuthMode::ApiKey]
        );
        assert_eq!(modes("{allow: private}"), [AuthMode::UserPools]);
        assert_eq!(modes("{allow: private, provider: oidc}"), [AuthMode::Oidc]);
        assert_eq!(
            modes("{allow: private, provider: userPools}"),
            [AuthMode::UserPools]
        );
        assert_eq!(modes("{allow: owner, provider: oidc}"), [AuthMode::Oidc]);
        assert_eq!(
            modes("{allow: groups, groups: [\"Admin\"]}"),
            [AuthMode::UserPools]
        );
        assert_eq!(modes("{allow: custom}"), [AuthMode::Lambda]);
        let err = error_of(
            "type T @model @auth(rules: [{allow: public, provider: userPools}]) { id: ID! }",
        );
        assert!(
            err.message.contains("cannot be used with `allow: public`"),
            "{err}"
        );
    }

    #[test]
    fn unsupported_directive_names_its_line() {
        let err = error_of("type Blog @model {\n  id: ID!\n  posts: [String] @hasMany\n}\n");
        assert_eq!(err.line, 3);
        assert!(err.message.contains("@hasMany"), "{err}");
        let err = error_of("\ntype Blog @model @searchable {\n  id: ID!\n}\n");
        assert_eq!(
            (err.line, err.message.contains("@searchable")),
            (2, true),
            "{err}"
        );
        assert!(err.to_string().starts_with("line 2, column "), "{err}");
    }

    #[test]
    fn refuses_what_cannot_be_served() {
        let cases = [
            (
                "type T @model { id: ID! x: Unknown }",
                "unknown type `Unknown`",
            ),
            ("type T @model { name: String }", "must declare `id: ID!`"),
            ("type T @model { id: String! }", "must declare `id: ID!`"),
            (
                "type T @model { id: ID! _version: Int }",
                "reserved for conflict-detection",
            ),
            (
                "type T @model { id: ID! other: U } type U @model { id: ID! }",
                "relations between models",
            ),
            (
                "type T @model(timestamps: null) { id: ID! }",
                "@model argument `timestamps`",
            ),
            (
                "type T @auth(rules: [{allow: public}]) { id: ID! }",
                "requires @model",
            ),
            ("type Query { hello: String }", "reserved"),
            (
                "input I { a: Int } type T @model { id: ID! }",
                "input type `I` is not supported",
            ),
            (
                "type T @model { id: ID! } type T { a: Int }",
                "defined more than once",
            ),
            (
                "type T @model { id: ID! } type ModelTConnection { a: Int }",
                "clashes with the type",
            ),
            ("enum E { A } type T { a: Int }", "no @model type"),
        ];
        for (sdl, expected) in cases {
            let err = error_of(sdl);
            assert!(
                err.message.contains(expected),
                "{sdl}: expected `{expected}`, got `{err}`"
            );
        }
    }

    #[test]
    fn syntax_errors_keep_the_parser_position() {
        let err = error_of("type T @model {\n  id: ID!\n  name: \n}\n");
        assert_eq!((err.line, err.column), (4, 1), "{err}");
        assert!(err.message.starts_with("syntax error"), "{err}");
    }
}
