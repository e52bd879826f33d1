//! Generating the AppSync API SDL that Amplify's GraphQL transformer (v2) produces for a
//! [`ModelSchema`].
//!
//! The transformer builds its output by appending definitions to an ordered map and later
//! extending them (timestamps, conflict metadata, auth directives, owner fields). Clients and
//! codegen compare schemas by shape, but people diff them by eye, so this module replays the
//! same steps in the same order rather than printing a canonical form.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use super::model::{
    upper_first, AuthMode, AuthStrategy, ConflictMode, Field, FieldKind, Model, ModelOperation,
    ModelSchema, Scalar, TypeRef,
};

/// The API SDL for `schema`, with API key as the API's default authorization mode (as in the
/// reference output).
pub fn generate_api_sdl(schema: &ModelSchema, conflict: ConflictMode) -> String {
    generate_api_sdl_with_default_auth(schema, conflict, AuthMode::ApiKey)
}

/// The API SDL for `schema` when `default_auth` is the API's default authorization mode.
///
/// The default mode matters because AppSync applies it to anything without a service
/// directive, so the transformer leaves its directive out wherever it alone grants access.
pub fn generate_api_sdl_with_default_auth(
    schema: &ModelSchema,
    conflict: ConflictMode,
    default_auth: AuthMode,
) -> String {
    let mut out = Output::default();
    add_user_definitions(&mut out, schema);
    add_shared_inputs(&mut out);
    for model in &schema.models {
        add_model_api(&mut out, schema, model, conflict);
    }
    let mut auth = AuthPass {
        out: &mut out,
        schema,
        default_auth,
        seen_nested: HashMap::new(),
    };
    auth.run(conflict);
    out.render()
}

/// The fields conflict detection adds to every model type, in the order they are added.
pub fn metadata_fields(conflict: ConflictMode) -> Vec<Field> {
    if !conflict.is_enabled() {
        return Vec::new();
    }
    vec![
        Field::scalar(
            "_version",
            TypeRef::non_null(TypeRef::new("Int")),
            Scalar::Int,
        ),
        Field::scalar("_deleted", TypeRef::new("Boolean"), Scalar::Boolean),
        Field::scalar(
            "_lastChangedAt",
            TypeRef::non_null(TypeRef::new("AWSTimestamp")),
            Scalar::AwsTimestamp,
        ),
    ]
}

/// The timestamps the transformer adds unless the user declared fields of those names.
pub fn timestamp_fields(model: &Model) -> Vec<Field> {
    ["createdAt", "updatedAt"]
        .into_iter()
        .filter(|name| model.field(name).is_none())
        .map(|name| {
            Field::scalar(
                name,
                TypeRef::non_null(TypeRef::new("AWSDateTime")),
                Scalar::AwsDateTime,
            )
        })
        .collect()
}

/// Every field of the generated model type, in order: declared fields, timestamps, conflict
/// metadata, then owner fields that `@auth` owner rules add.
pub fn model_type_fields(model: &Model, conflict: ConflictMode) -> Vec<Field> {
    let mut fields = model.fields.clone();
    fields.extend(timestamp_fields(model));
    fields.extend(metadata_fields(conflict));
    for owner in owner_fields(model) {
        if !fields.iter().any(|f| f.name == owner) {
            fields.push(Field::scalar(
                &owner,
                TypeRef::new("String"),
                Scalar::String,
            ));
        }
    }
    fields
}

#[derive(Debug, Clone, PartialEq)]
struct Directive {
    name: String,
    /// Already rendered, including parentheses; empty when there are none.
    arguments: String,
}

impl Directive {
    fn bare(name: &str) -> Directive {
        Directive {
            name: name.to_string(),
            arguments: String::new(),
        }
    }
}

#[derive(Debug, Clone)]
struct InputValue {
    name: String,
    ty: TypeRef,
}

fn input_value(name: &str, ty: TypeRef) -> InputValue {
    InputValue {
        name: name.to_string(),
        ty,
    }
}

fn optional(name: &str, type_name: &str) -> InputValue {
    input_value(name, TypeRef::new(type_name))
}

fn optional_list(name: &str, type_name: &str) -> InputValue {
    input_value(name, TypeRef::list(TypeRef::new(type_name)))
}

#[derive(Debug, Clone)]
struct FieldDef {
    name: String,
    arguments: Vec<InputValue>,
    ty: TypeRef,
    directives: Vec<Directive>,
}

fn field_def(name: &str, arguments: Vec<InputValue>, ty: TypeRef) -> FieldDef {
    FieldDef {
        name: name.to_string(),
        arguments,
        ty,
        directives: Vec::new(),
    }
}

#[derive(Debug, Clone)]
enum Definition {
    Object {
        name: String,
        directives: Vec<Directive>,
        fields: Vec<FieldDef>,
    },
    Input {
        name: String,
        fields: Vec<InputValue>,
    },
    Enum {
        name: String,
        values: Vec<String>,
    },
}

impl Definition {
    fn name(&self) -> &str {
        match self {
            Definition::Object { name, .. }
            | Definition::Input { name, .. }
            | Definition::Enum { name, .. } => name,
        }
    }
}

/// The transformer's output document: definitions in insertion order, found by name.
#[derive(Default)]
struct Output {
    definitions: Vec<Definition>,
    index: HashMap<String, usize>,
}

impl Output {
    fn has(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// Adds `definition` unless one of that name exists, as the transformer does.
    fn add(&mut self, definition: Definition) {
        if !self.has(definition.name()) {
            self.index
                .insert(definition.name().to_string(), self.definitions.len());
            self.definitions.push(definition);
        }
    }

    fn add_object(&mut self, name: &str) {
        self.add(Definition::Object {
            name: name.to_string(),
            directives: Vec::new(),
            fields: Vec::new(),
        });
    }

    fn get_mut(&mut self, name: &str) -> Option<&mut Definition> {
        let position = *self.index.get(name)?;
        self.definitions.get_mut(position)
    }

    fn object_fields(&mut self, name: &str) -> Option<&mut Vec<FieldDef>> {
        match self.get_mut(name)? {
            Definition::Object { fields, .. } => Some(fields),
            _ => None,
        }
    }

    fn input_fields(&mut self, name: &str) -> Option<&mut Vec<InputValue>> {
        match self.get_mut(name)? {
            Definition::Input { fields, .. } => Some(fields),
            _ => None,
        }
    }

    /// Appends the directives a type does not carry yet (the transformer's type extension).
    fn extend_type_directives(&mut self, type_name: &str, added: &[Directive]) {
        if let Some(Definition::Object { directives, .. }) = self.get_mut(type_name) {
            append_missing(directives, added);
        }
    }

    /// Gives a root field more directives and, as the transformer's field rewrite does, moves
    /// it to the end of its type; then extends the field's return type with the same directives.
    fn add_directives_to_operation(
        &mut self,
        type_name: &str,
        field_name: &str,
        added: &[Directive],
    ) {
        let Some(fields) = self.object_fields(type_name) else {
            return;
        };
        let Some(position) = fields.iter().position(|f| f.name == field_name) else {
            return;
        };
        let mut field = fields.remove(position);
        append_missing(&mut field.directives, added);
        let return_type = match &field.ty {
            TypeRef::Named(name) => Some(name.clone()),
            _ => None,
        };
        fields.push(field);
        if let Some(return_type) = return_type {
            self.extend_type_directives(&return_type, added);
        }
    }

    fn render(&self) -> String {
        let mut sdl = String::new();
        for (i, definition) in self.definitions.iter().enumerate() {
            if i > 0 {
                sdl.push('\n');
            }
            render_definition(&mut sdl, definition);
        }
        sdl
    }
}

fn append_missing(directives: &mut Vec<Directive>, added: &[Directive]) {
    for directive in added {
        if !directives.iter().any(|d| d.name == directive.name) {
            directives.push(directive.clone());
        }
    }
}

fn render_definition(sdl: &mut String, definition: &Definition) {
    // Writing to a String cannot fail, so the fmt::Results below carry no information.
    match definition {
        Definition::Object {
            name,
            directives,
            fields,
        } => {
            let _ = writeln!(sdl, "type {name}{} {{", render_directives(directives));
            for field in fields {
                let arguments = if field.arguments.is_empty() {
                    String::new()
                } else {
                    let list: Vec<String> = field
                        .arguments
                        .iter()
                        .map(|a| format!("{}: {}", a.name, a.ty))
                        .collect();
                    format!("({})", list.join(", "))
                };
                let _ = writeln!(
                    sdl,
                    "  {}{arguments}: {}{}",
                    field.name,
                    field.ty,
                    render_directives(&field.directives)
                );
            }
        }
        Definition::Input { name, fields } => {
            let _ = writeln!(sdl, "input {name} {{");
            for field in fields {
                let _ = writeln!(sdl, "  {}: {}", field.name, field.ty);
            }
        }
        Definition::Enum { name, values } => {
            let _ = writeln!(sdl, "enum {name} {{");
            for value in values {
                let _ = writeln!(sdl, "  {value}");
            }
        }
    }
    sdl.push_str("}\n");
}

fn render_directives(directives: &[Directive]) -> String {
    directives
        .iter()
        .map(|d| format!(" @{}{}", d.name, d.arguments))
        .collect()
}

fn to_field_def(field: &Field) -> FieldDef {
    field_def(&field.name, Vec::new(), field.ty.clone())
}

/// User types keep their place and fields; `@model` and `@auth` are not part of the output.
fn add_user_definitions(out: &mut Output, schema: &ModelSchema) {
    let mut names: Vec<&str> = schema.source_order.iter().map(String::as_str).collect();
    // A schema built by hand may leave `source_order` empty; nothing may be dropped then.
    let all = schema
        .models
        .iter()
        .map(|m| m.name.as_str())
        .chain(schema.enums.iter().map(|e| e.name.as_str()))
        .chain(schema.objects.iter().map(|o| o.name.as_str()));
    for name in all {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    for name in names {
        if let Some(model) = schema.model(name) {
            let fields = model.fields.iter().map(to_field_def).collect();
            out.add(Definition::Object {
                name: model.name.clone(),
                directives: Vec::new(),
                fields,
            });
        } else if let Some(object) = schema.object(name) {
            let fields = object.fields.iter().map(to_field_def).collect();
            out.add(Definition::Object {
                name: object.name.clone(),
                directives: Vec::new(),
                fields,
            });
        } else if let Some(enum_type) = schema.enum_type(name) {
            out.add(Definition::Enum {
                name: enum_type.name.clone(),
                values: enum_type.values.clone(),
            });
        }
    }
}

/// Inputs every API has, whatever its models use.
fn add_shared_inputs(out: &mut Output) {
    out.add(Definition::Input {
        name: "AmplifyAIConversationTurnErrorInput".to_string(),
        fields: vec![
            input_value("errorType", TypeRef::non_null(TypeRef::new("String"))),
            input_value("message", TypeRef::non_null(TypeRef::new("String"))),
        ],
    });
    for scalar in FILTER_SCALARS {
        out.add(scalar_filter_input(scalar, false));
    }
    for scalar in FILTER_SCALARS {
        out.add(scalar_filter_input(scalar, true));
    }
    out.add(Definition::Enum {
        name: "ModelAttributeTypes".to_string(),
        values: [
            "binary",
            "binarySet",
            "bool",
            "list",
            "map",
            "number",
            "numberSet",
            "string",
            "stringSet",
            "_null",
        ]
        .map(String::from)
        .to_vec(),
    });
    out.add(Definition::Input {
        name: "ModelSizeInput".to_string(),
        fields: vec![
            optional("ne", "Int"),
            optional("eq", "Int"),
            optional("le", "Int"),
            optional("lt", "Int"),
            optional("ge", "Int"),
            optional("gt", "Int"),
            optional_list("between", "Int"),
        ],
    });
    out.add(Definition::Enum {
        name: "ModelSortDirection".to_string(),
        values: vec!["ASC".to_string(), "DESC".to_string()],
    });
}

const FILTER_SCALARS: [Scalar; 5] = [
    Scalar::String,
    Scalar::Int,
    Scalar::Float,
    Scalar::Boolean,
    Scalar::Id,
];

fn scalar_filter_input(scalar: Scalar, for_subscriptions: bool) -> Definition {
    let type_name = scalar.graphql_name();
    let comparisons: &[&str] = match scalar {
        Scalar::Boolean => &["ne", "eq"],
        Scalar::Int | Scalar::Float => &["ne", "eq", "le", "lt", "ge", "gt", "between"],
        _ => &[
            "ne",
            "eq",
            "le",
            "lt",
            "ge",
            "gt",
            "contains",
            "notContains",
            "between",
            "beginsWith",
        ],
    };
    let mut fields: Vec<InputValue> = comparisons
        .iter()
        .map(|op| {
            if *op == "between" {
                optional_list(op, type_name)
            } else {
                optional(op, type_name)
            }
        })
        .collect();
    let name = if for_subscriptions {
        if scalar != Scalar::Boolean {
            fields.push(optional_list("in", type_name));
            fields.push(optional_list("notIn", type_name));
        }
        format!("ModelSubscription{type_name}Input")
    } else {
        fields.push(optional("attributeExists", "Boolean"));
        fields.push(optional("attributeType", "ModelAttributeTypes"));
        if matches!(scalar, Scalar::String | Scalar::Id) {
            fields.push(optional("size", "ModelSizeInput"));
        }
        format!("Model{type_name}Input")
    };
    Definition::Input { name, fields }
}

/// The filter input type for a field in list filters and mutation conditions; object fields
/// cannot be filtered on.
fn filter_input_type(field: &Field) -> Option<String> {
    match &field.kind {
        FieldKind::Scalar(scalar) => Some(format!(
            "Model{}Input",
            scalar.filter_scalar().graphql_name()
        )),
        FieldKind::Enum(name) if field.ty.is_list() => Some(format!("Model{name}ListInput")),
        FieldKind::Enum(name) => Some(format!("Model{name}Input")),
        FieldKind::Object(_) => None,
    }
}

/// Subscription filters compare enums as strings: AppSync's enhanced filtering has no enum
/// operators.
fn subscription_filter_input_type(field: &Field) -> Option<String> {
    match &field.kind {
        FieldKind::Scalar(scalar) => Some(format!(
            "ModelSubscription{}Input",
            scalar.filter_scalar().graphql_name()
        )),
        FieldKind::Enum(_) => Some("ModelSubscriptionStringInput".to_string()),
        FieldKind::Object(_) => None,
    }
}

fn add_enum_filter_inputs(out: &mut Output, fields: &[Field]) {
    for field in fields {
        let FieldKind::Enum(enum_name) = &field.kind else {
            continue;
        };
        let definition = if field.ty.is_list() {
            Definition::Input {
                name: format!("Model{enum_name}ListInput"),
                fields: vec![
                    optional_list("eq", enum_name),
                    optional_list("ne", enum_name),
                    optional("contains", enum_name),
                    optional("notContains", enum_name),
                ],
            }
        } else {
            Definition::Input {
                name: format!("Model{enum_name}Input"),
                fields: vec![optional("eq", enum_name), optional("ne", enum_name)],
            }
        };
        out.add(definition);
    }
}

/// A field as it appears in an input type: object types become their `<Type>Input` twins and,
/// on models, values the service fills in (id, timestamps) become optional.
fn input_field(field: &Field, on_model: bool) -> InputValue {
    let auto_filled = match (field.name.as_str(), field.ty.nullable()) {
        ("id", TypeRef::Named(base)) => base == "ID",
        ("createdAt" | "updatedAt", TypeRef::Named(base)) => {
            base == "AWSDateTime" || base == "String"
        }
        _ => false,
    };
    let ty = if on_model && auto_filled {
        field.ty.nullable()
    } else if let FieldKind::Object(object) = &field.kind {
        field
            .ty
            .with_named(&format!("{}Input", upper_first(object)))
    } else {
        field.ty.clone()
    };
    InputValue {
        name: field.name.clone(),
        ty,
    }
}

/// Adds `<Type>Input` for every object type reachable from `fields`, depth first.
fn add_object_inputs(out: &mut Output, schema: &ModelSchema, fields: &[Field]) {
    for field in fields {
        let FieldKind::Object(object_name) = &field.kind else {
            continue;
        };
        let Some(object) = schema.object(object_name) else {
            continue;
        };
        let name = object.input_name();
        if out.has(&name) {
            continue;
        }
        let input_fields = object
            .fields
            .iter()
            .map(|f| input_field(f, false))
            .collect();
        out.add(Definition::Input {
            name,
            fields: input_fields,
        });
        add_object_inputs(out, schema, &object.fields);
    }
}

fn is_timestamp_with_auto_value(field: &InputValue) -> bool {
    matches!(field.name.as_str(), "createdAt" | "updatedAt")
        && matches!(field.ty.named(), "AWSDateTime" | "String")
}

fn add_model_api(out: &mut Output, schema: &ModelSchema, model: &Model, conflict: ConflictMode) {
    let names = model.operation_names();
    let sync = conflict.is_enabled();
    let timestamps = timestamp_fields(model);
    if let Some(fields) = out.object_fields(&model.name) {
        fields.extend(timestamps.iter().map(to_field_def));
    }
    let mut with_timestamps = model.fields.clone();
    with_timestamps.extend(timestamps);

    add_object_inputs(out, schema, &model.fields);

    // Queries.
    let connection = model.connection_type_name();
    let mut connection_fields = vec![
        field_def(
            "items",
            Vec::new(),
            TypeRef::non_null(TypeRef::list(TypeRef::new(&model.name))),
        ),
        field_def("nextToken", Vec::new(), TypeRef::new("String")),
    ];
    if sync {
        connection_fields.push(field_def(
            "startedAt",
            Vec::new(),
            TypeRef::new("AWSTimestamp"),
        ));
    }
    out.add(Definition::Object {
        name: connection.clone(),
        directives: Vec::new(),
        fields: connection_fields,
    });
    add_enum_filter_inputs(out, &with_timestamps);
    let filter = model.filter_input_name();
    out.add(list_filter_input(&filter, &with_timestamps, sync));
    let list_arguments = || {
        vec![
            optional("filter", &filter),
            optional("limit", "Int"),
            optional("nextToken", "String"),
        ]
    };
    let mut queries = vec![
        field_def(
            &names.get,
            vec![input_value("id", TypeRef::non_null(TypeRef::new("ID")))],
            TypeRef::new(&model.name),
        ),
        field_def(&names.list, list_arguments(), TypeRef::new(&connection)),
    ];
    if sync {
        let mut arguments = list_arguments();
        arguments.push(optional("lastSync", "AWSTimestamp"));
        queries.push(field_def(&names.sync, arguments, TypeRef::new(&connection)));
    }
    add_root_fields(out, "Query", queries);

    // Mutations; their inputs leave out the timestamps the service fills in.
    add_enum_filter_inputs(out, &model.fields);
    let condition = model.condition_input_name();
    out.add(condition_input(&condition, &model.fields, sync));
    out.add(create_input(model, sync));
    out.add(update_input(model, sync));
    let mut delete_fields = vec![input_value("id", TypeRef::non_null(TypeRef::new("ID")))];
    if sync {
        delete_fields.push(optional("_version", "Int"));
    }
    out.add(Definition::Input {
        name: model.delete_input_name(),
        fields: delete_fields,
    });
    let mutation = |name: &str, input: String| {
        let arguments = vec![
            input_value("input", TypeRef::non_null(TypeRef::new(&input))),
            optional("condition", &condition),
        ];
        field_def(name, arguments, TypeRef::new(&model.name))
    };
    let mutations = vec![
        mutation(&names.create, model.create_input_name()),
        mutation(&names.update, model.update_input_name()),
        mutation(&names.delete, model.delete_input_name()),
    ];
    add_root_fields(out, "Mutation", mutations);

    // Subscriptions.
    add_enum_filter_inputs(out, &with_timestamps);
    let subscription_filter = model.subscription_filter_input_name();
    out.add(subscription_filter_input(
        &subscription_filter,
        &with_timestamps,
        sync,
    ));
    let subscription = |name: &str, mutation_name: &str| {
        let mut field = field_def(
            name,
            vec![optional("filter", &subscription_filter)],
            TypeRef::new(&model.name),
        );
        field.directives.push(Directive {
            name: "aws_subscribe".to_string(),
            arguments: format!("(mutations: [\"{mutation_name}\"])"),
        });
        field
    };
    let subscriptions = vec![
        subscription(&names.on_create, &names.create),
        subscription(&names.on_update, &names.update),
        subscription(&names.on_delete, &names.delete),
    ];
    add_root_fields(out, "Subscription", subscriptions);

    if let Some(fields) = out.object_fields(&model.name) {
        fields.extend(metadata_fields(conflict).iter().map(to_field_def));
    }
}

fn add_root_fields(out: &mut Output, root: &str, new_fields: Vec<FieldDef>) {
    out.add_object(root);
    if let Some(fields) = out.object_fields(root) {
        fields.extend(new_fields);
    }
}

fn filterable_fields(fields: &[Field], subscription: bool) -> Vec<InputValue> {
    fields
        .iter()
        .filter_map(|field| {
            let ty = if subscription {
                subscription_filter_input_type(field)
            } else {
                filter_input_type(field)
            };
            ty.map(|ty| optional(&field.name, &ty))
        })
        .collect()
}

/// Fields shared by list filters and mutation conditions.
fn condition_fields(name: &str, fields: &[Field], sync: bool) -> Vec<InputValue> {
    let mut input = filterable_fields(fields, false);
    input.push(optional_list("and", name));
    input.push(optional_list("or", name));
    input.push(optional("not", name));
    if sync {
        input.push(optional("_deleted", "ModelBooleanInput"));
    }
    input
}

fn list_filter_input(name: &str, fields: &[Field], sync: bool) -> Definition {
    Definition::Input {
        name: name.to_string(),
        fields: condition_fields(name, fields, sync),
    }
}

fn condition_input(name: &str, declared: &[Field], sync: bool) -> Definition {
    let mut fields = condition_fields(name, declared, sync);
    // The key cannot be a condition: it is how the item is found.
    fields.retain(|f| !(f.name == "id" && f.ty == TypeRef::new("ModelIDInput")));
    for timestamp in ["createdAt", "updatedAt"] {
        if !fields.iter().any(|f| f.name == timestamp) {
            fields.push(optional(timestamp, "ModelStringInput"));
        }
    }
    Definition::Input {
        name: name.to_string(),
        fields,
    }
}

fn subscription_filter_input(name: &str, fields: &[Field], sync: bool) -> Definition {
    let mut input = filterable_fields(fields, true);
    input.push(optional_list("and", name));
    input.push(optional_list("or", name));
    if sync {
        input.push(optional("_deleted", "ModelBooleanInput"));
    }
    Definition::Input {
        name: name.to_string(),
        fields: input,
    }
}

fn create_input(model: &Model, sync: bool) -> Definition {
    let mut fields: Vec<InputValue> = model.fields.iter().map(|f| input_field(f, true)).collect();
    for field in &mut fields {
        if field.name == "id" || is_timestamp_with_auto_value(field) {
            field.ty = field.ty.nullable();
        }
    }
    if sync {
        fields.push(optional("_version", "Int"));
    }
    Definition::Input {
        name: model.create_input_name(),
        fields,
    }
}

fn update_input(model: &Model, sync: bool) -> Definition {
    let mut fields: Vec<InputValue> = model.fields.iter().map(|f| input_field(f, true)).collect();
    for field in &mut fields {
        field.ty = if field.name == "id" {
            TypeRef::non_null(field.ty.nullable())
        } else {
            field.ty.nullable()
        };
    }
    if sync {
        fields.push(optional("_version", "Int"));
    }
    Definition::Input {
        name: model.update_input_name(),
        fields,
    }
}

/// Fields that owner rules store the owner in; the transformer adds them when undeclared.
fn owner_fields(model: &Model) -> Vec<String> {
    let mut fields: Vec<String> = Vec::new();
    for role in roles(model) {
        if let (AuthStrategy::Owner, Some(entity)) = (role.strategy, role.entity) {
            if !fields.contains(&entity) {
                fields.push(entity);
            }
        }
    }
    fields
}

/// The transformer's access-control roles: rules collapse into one role per provider and
/// strategy (and per owner field, group or groups field), with their operations merged.
#[derive(Debug, Clone)]
struct Role {
    key: String,
    provider: AuthMode,
    strategy: AuthStrategy,
    /// Owner field or groups field of a dynamic rule.
    entity: Option<String>,
    is_static: bool,
    operations: HashSet<ModelOperation>,
}

fn roles(model: &Model) -> Vec<Role> {
    let mut roles: Vec<Role> = Vec::new();
    let mut add = |key: String,
                   rule_strategy: AuthStrategy,
                   provider: AuthMode,
                   entity: Option<String>,
                   ops: &[ModelOperation]| {
        if let Some(existing) = roles.iter_mut().find(|r| r.key == key) {
            existing.operations.extend(ops.iter().copied());
            return;
        }
        roles.push(Role {
            key,
            provider,
            strategy: rule_strategy,
            is_static: entity.is_none(),
            entity,
            operations: ops.iter().copied().collect(),
        });
    };
    for rule in &model.auth_rules {
        let provider = rule.provider;
        let ops = rule.operations.as_slice();
        match rule.strategy {
            AuthStrategy::Groups if rule.groups_field.is_none() => {
                let claim = rule.group_claim.as_deref().unwrap_or("cognito:groups");
                for group in &rule.groups {
                    add(
                        format!("{provider:?}:staticGroup:{group}:{claim}"),
                        rule.strategy,
                        provider,
                        None,
                        ops,
                    );
                }
            }
            AuthStrategy::Groups => {
                let field = rule
                    .groups_field
                    .clone()
                    .unwrap_or_else(|| "groups".to_string());
                let claim = rule.group_claim.as_deref().unwrap_or("cognito:groups");
                add(
                    format!("{provider:?}:dynamicGroup:{field}:{claim}"),
                    rule.strategy,
                    provider,
                    Some(field),
                    ops,
                );
            }
            AuthStrategy::Owner => {
                let field = rule
                    .owner_field
                    .clone()
                    .unwrap_or_else(|| "owner".to_string());
                let claim = rule.identity_claim.as_deref().unwrap_or("");
                add(
                    format!("{provider:?}:owner:{field}:{claim}"),
                    rule.strategy,
                    provider,
                    Some(field),
                    ops,
                );
            }
            AuthStrategy::Public | AuthStrategy::Private | AuthStrategy::Custom => {
                // API key and Lambda have one role each whatever the rule says; IAM has one
                // per strategy; user pools and OIDC one for `private`.
                let key = match provider {
                    AuthMode::ApiKey => "apiKey:public".to_string(),
                    AuthMode::Lambda => "function:custom".to_string(),
                    _ => format!("{provider:?}:{:?}", rule.strategy),
                };
                add(key, rule.strategy, provider, None, ops);
            }
        }
    }
    roles
}

fn distinct_providers<'a>(roles: impl Iterator<Item = &'a Role>) -> Vec<AuthMode> {
    let mut providers = Vec::new();
    for role in roles {
        if !providers.contains(&role.provider) {
            providers.push(role.provider);
        }
    }
    providers
}

/// The `@auth` step: service directives on types and operations, owner fields and arguments.
struct AuthPass<'a> {
    out: &'a mut Output,
    schema: &'a ModelSchema,
    default_auth: AuthMode,
    /// Directives already given to each non-model type, shared across models.
    seen_nested: HashMap<String, HashSet<AuthMode>>,
}

impl AuthPass<'_> {
    fn run(&mut self, conflict: ConflictMode) {
        let models: Vec<&Model> = self.schema.models.iter().filter(|m| m.has_auth()).collect();
        // Owners and dynamic groups are filtered by the service itself; AppSync rejects a
        // second condition on the same field, so clients may not filter on them.
        for model in &models {
            let name = model.subscription_filter_input_name();
            for role in roles(model) {
                let dynamic = !role.is_static
                    && matches!(role.provider, AuthMode::UserPools | AuthMode::Oidc);
                if let (true, Some(entity), Some(fields)) =
                    (dynamic, &role.entity, self.out.input_fields(&name))
                {
                    fields.retain(|f| &f.name != entity);
                }
            }
        }
        for model in models {
            self.protect_model(model, conflict);
        }
    }

    fn protect_model(&mut self, model: &Model, conflict: ConflictMode) {
        let roles = roles(model);
        let owners = owner_fields(model);
        for input in [
            model.filter_input_name(),
            model.condition_input_name(),
            model.subscription_filter_input_name(),
        ] {
            if let Some(fields) = self.out.input_fields(&input) {
                for owner in &owners {
                    if !fields.iter().any(|f| &f.name == owner) {
                        fields.push(optional(owner, "ModelStringInput"));
                    }
                }
            }
        }
        if let Some(fields) = self.out.object_fields(&model.name) {
            for owner in &owners {
                if !fields.iter().any(|f| &f.name == owner) {
                    fields.push(field_def(owner, Vec::new(), TypeRef::new("String")));
                }
            }
        }

        let providers = distinct_providers(roles.iter());
        let type_directives = self.service_directives(&providers, false);
        self.out
            .extend_type_directives(&model.name, &type_directives);

        let names = model.operation_names();
        let mut operations = vec![
            ("Query", ModelOperation::Get, names.get.clone()),
            ("Query", ModelOperation::List, names.list.clone()),
        ];
        if conflict.is_enabled() {
            operations.push(("Query", ModelOperation::Sync, names.sync.clone()));
        }
        operations.extend([
            ("Mutation", ModelOperation::Create, names.create.clone()),
            ("Mutation", ModelOperation::Update, names.update.clone()),
            ("Mutation", ModelOperation::Delete, names.delete.clone()),
        ]);
        for (root, operation, field) in operations {
            self.protect_operation(&roles, root, operation, &field);
        }

        // Owners subscribe to their own items by passing their identity as an argument.
        let owner_arguments: Vec<String> = roles
            .iter()
            .filter(|r| {
                r.strategy == AuthStrategy::Owner && r.operations.contains(&ModelOperation::Listen)
            })
            .filter_map(|r| r.entity.clone())
            .filter(|entity| !model.field(entity).is_some_and(|f| f.ty.is_list()))
            .collect();
        for field in [&names.on_create, &names.on_update, &names.on_delete] {
            self.protect_operation(&roles, "Subscription", ModelOperation::Listen, field);
            if let Some(subscription) = self
                .out
                .object_fields("Subscription")
                .and_then(|fs| fs.iter_mut().find(|f| &f.name == field))
            {
                for argument in &owner_arguments {
                    if !subscription.arguments.iter().any(|a| &a.name == argument) {
                        subscription.arguments.push(optional(argument, "String"));
                    }
                }
            }
        }

        let model_fields = model_type_fields(model, conflict);
        self.propagate_to_nested_types(&model_fields, &providers);
    }

    fn protect_operation(
        &mut self,
        roles: &[Role],
        root: &str,
        operation: ModelOperation,
        field: &str,
    ) {
        let allowed: Vec<&Role> = roles
            .iter()
            .filter(|r| r.operations.contains(&operation))
            .collect();
        let providers = distinct_providers(allowed.iter().copied());
        let include_default = providers.contains(&self.default_auth);
        let directives = self.service_directives(&providers, include_default);
        if !directives.is_empty() {
            self.out
                .add_directives_to_operation(root, field, &directives);
        }
    }

    /// Non-model types returned inside a model must be readable by every mode that can read
    /// the model, so they get the model's directives too.
    fn propagate_to_nested_types(&mut self, fields: &[Field], providers: &[AuthMode]) {
        for field in fields {
            let FieldKind::Object(type_name) = &field.kind else {
                continue;
            };
            let Some(object) = self.schema.object(type_name) else {
                continue;
            };
            let seen_before = self.seen_nested.contains_key(type_name);
            let mut directives = self.service_directives(providers, seen_before);
            let seen = self.seen_nested.entry(type_name.clone()).or_default();
            if seen_before {
                directives.retain(|d| !seen.iter().any(|mode| mode.directive_name() == d.name));
            }
            for mode in AuthMode::DIRECTIVE_ORDER {
                if directives.iter().any(|d| d.name == mode.directive_name()) {
                    seen.insert(mode);
                }
            }
            if !directives.is_empty() || !seen_before {
                self.out.extend_type_directives(type_name, &directives);
                let nested = object.fields.clone();
                self.propagate_to_nested_types(&nested, providers);
            }
        }
    }

    /// Which `@aws_*` directives grant `providers` access. The default mode's directive is
    /// only needed when another mode's directive is present (a lone directive would shut the
    /// default mode out); `include_default` says whether it may lead in directive order or is
    /// appended after the others.
    fn service_directives(&self, providers: &[AuthMode], include_default: bool) -> Vec<Directive> {
        if providers.is_empty() {
            return Vec::new();
        }
        let default = self.default_auth;
        let others_present = |mode: AuthMode| providers.iter().any(|p| *p != mode);
        let mut modes: Vec<AuthMode> = AuthMode::DIRECTIVE_ORDER
            .into_iter()
            .filter(|mode| {
                if *mode == default {
                    include_default && others_present(*mode)
                } else {
                    providers.contains(mode)
                }
            })
            .collect();
        if providers.contains(&default) && others_present(default) && !modes.contains(&default) {
            modes.push(default);
        }
        modes
            .into_iter()
            .map(|mode| Directive::bare(mode.directive_name()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::parse_model_schema;
    use super::*;
    use graphql_parser::schema as ast;

    const REFERENCE_INPUT: &str =
        include_str!("../../../../shared/reference/transformer-input.graphql");
    const REFERENCE_OUTPUT: &str =
        include_str!("../../../../shared/reference/transformer-output.graphql");

    /// A definition reduced to what a client sees: kind, name, directives and members in order.
    #[derive(Debug, PartialEq)]
    struct Shape {
        kind: &'static str,
        name: String,
        directives: Vec<String>,
        members: Vec<Member>,
    }

    #[derive(Debug, PartialEq)]
    struct Member {
        name: String,
        ty: String,
        arguments: Vec<String>,
        default: Option<String>,
        directives: Vec<String>,
    }

    fn directive_text(directives: &[ast::Directive<'_, String>]) -> Vec<String> {
        directives
            .iter()
            .map(|d| {
                let arguments: Vec<String> = d
                    .arguments
                    .iter()
                    .map(|(n, v)| format!("{n}: {v}"))
                    .collect();
                format!("@{}({})", d.name, arguments.join(", "))
            })
            .collect()
    }

    fn input_value_text(value: &ast::InputValue<'_, String>) -> String {
        match &value.default_value {
            Some(default) => format!("{}: {} = {default}", value.name, value.value_type),
            None => format!("{}: {}", value.name, value.value_type),
        }
    }

    fn shapes(sdl: &str) -> Result<Vec<Shape>, String> {
        let document =
            ast::parse_schema::<String>(sdl).map_err(|e| format!("does not parse: {e}"))?;
        let mut shapes = Vec::new();
        for definition in document.definitions {
            let ast::Definition::TypeDefinition(definition) = definition else {
                return Err(format!("unexpected non-type definition {definition:?}"));
            };
            let shape = match definition {
                ast::TypeDefinition::Object(o) => Shape {
                    kind: "type",
                    name: o.name,
                    directives: directive_text(&o.directives),
                    members: o
                        .fields
                        .iter()
                        .map(|f| Member {
                            name: f.name.clone(),
                            ty: f.field_type.to_string(),
                            arguments: f.arguments.iter().map(input_value_text).collect(),
                            default: None,
                            directives: directive_text(&f.directives),
                        })
                        .collect(),
                },
                ast::TypeDefinition::InputObject(i) => Shape {
                    kind: "input",
                    name: i.name,
                    directives: directive_text(&i.directives),
                    members: i
                        .fields
                        .iter()
                        .map(|f| Member {
                            name: f.name.clone(),
                            ty: f.value_type.to_string(),
                            arguments: Vec::new(),
                            default: f.default_value.as_ref().map(|v| v.to_string()),
                            directives: directive_text(&f.directives),
                        })
                        .collect(),
                },
                ast::TypeDefinition::Enum(e) => Shape {
                    kind: "enum",
                    name: e.name,
                    directives: directive_text(&e.directives),
                    members: e
                        .values
                        .iter()
                        .map(|v| Member {
                            name: v.name.clone(),
                            ty: String::new(),
                            arguments: Vec::new(),
                            default: None,
                            directives: directive_text(&v.directives),
                        })
                        .collect(),
                },
                other => return Err(format!("unexpected definition {other:?}")),
            };
            shapes.push(shape);
        }
        Ok(shapes)
    }

    /// Compares two SDL documents definition by definition and names the first difference.
    fn compare_sdl(expected: &str, actual: &str) -> Result<(), String> {
        let expected = shapes(expected).map_err(|e| format!("expected SDL {e}"))?;
        let actual = shapes(actual).map_err(|e| format!("generated SDL {e}"))?;
        compare_shapes(&expected, &actual)
    }

    fn compare_shapes(expected: &[Shape], actual: &[Shape]) -> Result<(), String> {
        let names = |shapes: &[Shape]| shapes.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
        let expected_names: HashSet<String> = names(expected).into_iter().collect();
        let actual_names: HashSet<String> = names(actual).into_iter().collect();
        let mut missing: Vec<_> = expected_names.difference(&actual_names).collect();
        let mut extra: Vec<_> = actual_names.difference(&expected_names).collect();
        missing.sort();
        extra.sort();
        if !missing.is_empty() || !extra.is_empty() {
            return Err(format!(
                "definitions missing: {missing:?}; unexpected: {extra:?}"
            ));
        }
        for want in expected {
            let Some(got) = actual.iter().find(|s| s.name == want.name) else {
                continue;
            };
            let context = format!("{} {}", want.kind, want.name);
            if want.kind != got.kind {
                return Err(format!("{context}: generated as {} instead", got.kind));
            }
            if want.directives != got.directives {
                return Err(format!(
                    "{context}: directives {:?}, expected {:?}",
                    got.directives, want.directives
                ));
            }
            let member_names =
                |s: &Shape| s.members.iter().map(|m| m.name.clone()).collect::<Vec<_>>();
            if member_names(want) != member_names(got) {
                return Err(format!(
                    "{context}: members {:?}, expected {:?}",
                    member_names(got),
                    member_names(want)
                ));
            }
            for (w, g) in want.members.iter().zip(&got.members) {
                if w != g {
                    return Err(format!(
                        "{context}, member `{}`: generated {g:?}, expected {w:?}",
                        w.name
                    ));
                }
            }
        }
        if names(expected) != names(actual) {
            return Err(format!(
                "definition order differs:\n generated {:?}\n expected  {:?}",
                names(actual),
                names(expected)
            ));
        }
        Ok(())
    }

    fn generate(sdl: &str, conflict: ConflictMode) -> String {
        let schema =
            parse_model_schema(sdl).unwrap_or_else(|e| panic!("input does not parse: {e}"));
        generate_api_sdl(&schema, conflict)
    }

    fn shape_of<'a>(shapes: &'a [Shape], name: &str) -> &'a Shape {
        shapes
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no definition {name}"))
    }

    fn member_names(shape: &Shape) -> Vec<&str> {
        shape.members.iter().map(|m| m.name.as_str()).collect()
    }

    fn member<'a>(shape: &'a Shape, name: &str) -> &'a Member {
        shape
            .members
            .iter()
            .find(|m| m.name == name)
            .unwrap_or_else(|| panic!("{} has no {name}", shape.name))
    }

    #[test]
    fn generates_reference_output_for_reference_input() {
        let generated = generate(REFERENCE_INPUT, ConflictMode::Automerge);
        assert!(
            ast::parse_schema::<String>(&generated).is_ok(),
            "generated SDL does not parse:\n{generated}"
        );
        if let Err(difference) = compare_sdl(REFERENCE_OUTPUT, &generated) {
            panic!("generated SDL differs from the transformer's: {difference}\n\n{generated}");
        }
    }

    #[test]
    fn comparison_reports_differences() {
        let generated = generate(REFERENCE_INPUT, ConflictMode::Automerge);
        let without_field = generated.replacen("  priority: Int\n", "", 1);
        let err = compare_sdl(REFERENCE_OUTPUT, &without_field)
            .err()
            .unwrap_or_default();
        assert!(
            err.contains("type Todo") && err.contains("priority"),
            "{err}"
        );
        let reordered = generated.replacen(
            "@aws_iam @aws_cognito_user_pools @aws_api_key",
            "@aws_api_key @aws_iam @aws_cognito_user_pools",
            1,
        );
        let err = compare_sdl(REFERENCE_OUTPUT, &reordered)
            .err()
            .unwrap_or_default();
        assert!(err.contains("directives"), "{err}");
        let renamed = generated.replace("syncTodos", "syncTodo");
        assert!(compare_sdl(REFERENCE_OUTPUT, &renamed).is_err());
    }

    #[test]
    fn optimistic_output_equals_automerge_output() {
        assert_eq!(
            generate(REFERENCE_INPUT, ConflictMode::Optimistic),
            generate(REFERENCE_INPUT, ConflictMode::Automerge)
        );
    }

    #[test]
    fn without_conflict_detection_there_is_no_sync_metadata() {
        let generated = generate(REFERENCE_INPUT, ConflictMode::None);
        for absent in [
            "_version",
            "_deleted",
            "_lastChangedAt",
            "syncTodos",
            "syncPosts",
            "startedAt",
            "lastSync",
        ] {
            assert!(
                !generated.contains(absent),
                "`{absent}` found in:\n{generated}"
            );
        }
        let shapes = shapes(&generated).unwrap_or_else(|e| panic!("{e}\n{generated}"));
        assert_eq!(
            member_names(shape_of(&shapes, "Query")),
            ["getTodo", "listTodos", "getPost", "listPosts"]
        );
        assert_eq!(
            member_names(shape_of(&shapes, "Mutation")),
            [
                "createTodo",
                "updateTodo",
                "deleteTodo",
                "createPost",
                "updatePost",
                "deletePost"
            ]
        );
        assert_eq!(
            member_names(shape_of(&shapes, "Subscription"))[..3],
            ["onCreateTodo", "onUpdateTodo", "onDeleteTodo"]
        );
        assert_eq!(
            member_names(shape_of(&shapes, "Todo")),
            [
                "id",
                "name",
                "description",
                "priority",
                "createdAt",
                "updatedAt"
            ]
        );
        assert_eq!(
            member_names(shape_of(&shapes, "ModelTodoConditionInput")),
            [
                "name",
                "description",
                "priority",
                "and",
                "or",
                "not",
                "createdAt",
                "updatedAt"
            ]
        );
        assert_eq!(member_names(shape_of(&shapes, "DeleteTodoInput")), ["id"]);
        assert_eq!(
            member_names(shape_of(&shapes, "ModelTodoConnection")),
            ["items", "nextToken"]
        );
    }

    const RICHER_INPUT: &str = r#"
enum Status {
  OPEN
  DONE
}

type Location {
  lat: Float!
  lon: Float!
  label: Label
}

type Label {
  text: String
}

type Category @model {
  id: ID!
  title: String!
  status: Status!
  labels: [Status]
  score: Float
  done: Boolean
  due: AWSDateTime
  extra: AWSJSON
  seen: AWSTimestamp
  tags: [String!]
  where: Location
  stops: [Location!]!
}

type Item @model @auth(rules: [{ allow: public }, { allow: private }]) {
  id: ID!
  place: Location
}
"#;

    #[test]
    fn richer_schema_generates_expected_names_and_inputs() {
        let generated = generate(RICHER_INPUT, ConflictMode::None);
        let shapes = shapes(&generated).unwrap_or_else(|e| panic!("{e}\n{generated}"));
        let names: Vec<&str> = shapes.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names[..4],
            ["Status", "Location", "Label", "Category"],
            "user definitions keep their order"
        );
        for expected in [
            "ModelStatusInput",
            "ModelStatusListInput",
            "LocationInput",
            "LabelInput",
            "ModelCategoryConnection",
            "ModelCategoryFilterInput",
            "ModelCategoryConditionInput",
            "ModelSubscriptionCategoryFilterInput",
            "CreateCategoryInput",
            "UpdateCategoryInput",
            "DeleteCategoryInput",
        ] {
            assert!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
        let query = shape_of(&shapes, "Query");
        assert_eq!(
            member_names(query),
            ["getCategory", "listCategories", "getItem", "listItems"]
        );

        let filter = shape_of(&shapes, "ModelCategoryFilterInput");
        let filter_types: Vec<(&str, &str)> = filter
            .members
            .iter()
            .map(|m| (m.name.as_str(), m.ty.as_str()))
            .collect();
        assert_eq!(
            filter_types,
            [
                ("id", "ModelIDInput"),
                ("title", "ModelStringInput"),
                ("status", "ModelStatusInput"),
                ("labels", "ModelStatusListInput"),
                ("score", "ModelFloatInput"),
                ("done", "ModelBooleanInput"),
                ("due", "ModelStringInput"),
                ("extra", "ModelStringInput"),
                ("seen", "ModelIntInput"),
                ("tags", "ModelStringInput"),
                ("createdAt", "ModelStringInput"),
                ("updatedAt", "ModelStringInput"),
                ("and", "[ModelCategoryFilterInput]"),
                ("or", "[ModelCategoryFilterInput]"),
                ("not", "ModelCategoryFilterInput"),
            ]
        );
        let subscription_filter = shape_of(&shapes, "ModelSubscriptionCategoryFilterInput");
        assert_eq!(
            member(subscription_filter, "status").ty,
            "ModelSubscriptionStringInput"
        );
        assert_eq!(
            member(subscription_filter, "seen").ty,
            "ModelSubscriptionIntInput"
        );
        assert_eq!(
            member(subscription_filter, "score").ty,
            "ModelSubscriptionFloatInput"
        );
        assert!(!member_names(subscription_filter).contains(&"where"));

        let create = shape_of(&shapes, "CreateCategoryInput");
        assert_eq!(member(create, "id").ty, "ID");
        assert_eq!(member(create, "status").ty, "Status!");
        assert_eq!(member(create, "where").ty, "LocationInput");
        assert_eq!(member(create, "stops").ty, "[LocationInput!]!");
        assert_eq!(member(create, "tags").ty, "[String!]");
        let update = shape_of(&shapes, "UpdateCategoryInput");
        assert_eq!(member(update, "id").ty, "ID!");
        assert_eq!(member(update, "stops").ty, "[LocationInput!]");
        let location_input = shape_of(&shapes, "LocationInput");
        assert_eq!(member(location_input, "lat").ty, "Float!");
        assert_eq!(member(location_input, "label").ty, "LabelInput");
        let status_list = shape_of(&shapes, "ModelStatusListInput");
        assert_eq!(member(status_list, "eq").ty, "[Status]");
        assert_eq!(member(status_list, "contains").ty, "Status");

        // Only Item has @auth: its type and operations carry directives, Category's do not,
        // and the nested type Item returns inherits them (default API key last).
        assert!(shape_of(&shapes, "Category").directives.is_empty());
        assert_eq!(
            shape_of(&shapes, "Item").directives,
            ["@aws_cognito_user_pools()", "@aws_api_key()"]
        );
        assert_eq!(
            shape_of(&shapes, "Location").directives,
            ["@aws_cognito_user_pools()", "@aws_api_key()"]
        );
        assert_eq!(
            shape_of(&shapes, "Label").directives,
            ["@aws_cognito_user_pools()", "@aws_api_key()"]
        );
        assert_eq!(
            member(query, "getItem").directives,
            ["@aws_api_key()", "@aws_cognito_user_pools()"]
        );
        assert!(member(query, "getCategory").directives.is_empty());
    }

    /// Transcribed from an Amplify-generated API (owner rule plus public read access, no
    /// conflict detection); only the parts a relation would add are left out.
    const OWNER_INPUT: &str = r#"
enum ProjectStatus { ACTIVE COMPLETED ON_HOLD ARCHIVED }
type Project @model @auth(rules: [{ allow: owner }, { allow: public, operations: [read] }]) {
  id: ID!
  title: String!
  description: String
  status: ProjectStatus!
  deadline: AWSDateTime
  color: String
}
"#;

    const OWNER_OUTPUT: &str = r#"
enum ProjectStatus { ACTIVE COMPLETED ON_HOLD ARCHIVED }
type Project @aws_cognito_user_pools @aws_api_key {
  id: ID!
  title: String!
  description: String
  status: ProjectStatus!
  deadline: AWSDateTime
  color: String
  createdAt: AWSDateTime!
  updatedAt: AWSDateTime!
  owner: String
}
type ModelProjectConnection @aws_api_key @aws_cognito_user_pools {
  items: [Project]!
  nextToken: String
}
input ModelProjectStatusInput {
  eq: ProjectStatus
  ne: ProjectStatus
}
input ModelProjectFilterInput {
  id: ModelIDInput
  title: ModelStringInput
  description: ModelStringInput
  status: ModelProjectStatusInput
  deadline: ModelStringInput
  color: ModelStringInput
  createdAt: ModelStringInput
  updatedAt: ModelStringInput
  and: [ModelProjectFilterInput]
  or: [ModelProjectFilterInput]
  not: ModelProjectFilterInput
  owner: ModelStringInput
}
type Query {
  getProject(id: ID!): Project @aws_api_key @aws_cognito_user_pools
  listProjects(filter: ModelProjectFilterInput, limit: Int, nextToken: String): ModelProjectConnection @aws_api_key @aws_cognito_user_pools
}
input ModelProjectConditionInput {
  title: ModelStringInput
  description: ModelStringInput
  status: ModelProjectStatusInput
  deadline: ModelStringInput
  color: ModelStringInput
  and: [ModelProjectConditionInput]
  or: [ModelProjectConditionInput]
  not: ModelProjectConditionInput
  createdAt: ModelStringInput
  updatedAt: ModelStringInput
  owner: ModelStringInput
}
input CreateProjectInput {
  id: ID
  title: String!
  description: String
  status: ProjectStatus!
  deadline: AWSDateTime
  color: String
}
input UpdateProjectInput {
  id: ID!
  title: String
  description: String
  status: ProjectStatus
  deadline: AWSDateTime
  color: String
}
input DeleteProjectInput {
  id: ID!
}
type Mutation {
  createProject(input: CreateProjectInput!, condition: ModelProjectConditionInput): Project @aws_cognito_user_pools
  updateProject(input: UpdateProjectInput!, condition: ModelProjectConditionInput): Project @aws_cognito_user_pools
  deleteProject(input: DeleteProjectInput!, condition: ModelProjectConditionInput): Project @aws_cognito_user_pools
}
input ModelSubscriptionProjectFilterInput {
  id: ModelSubscriptionIDInput
  title: ModelSubscriptionStringInput
  description: ModelSubscriptionStringInput
  status: ModelSubscriptionStringInput
  deadline: ModelSubscriptionStringInput
  color: ModelSubscriptionStringInput
  createdAt: ModelSubscriptionStringInput
  updatedAt: ModelSubscriptionStringInput
  and: [ModelSubscriptionProjectFilterInput]
  or: [ModelSubscriptionProjectFilterInput]
  owner: ModelStringInput
}
type Subscription {
  onCreateProject(filter: ModelSubscriptionProjectFilterInput, owner: String): Project @aws_subscribe(mutations: ["createProject"]) @aws_api_key @aws_cognito_user_pools
  onUpdateProject(filter: ModelSubscriptionProjectFilterInput, owner: String): Project @aws_subscribe(mutations: ["updateProject"]) @aws_api_key @aws_cognito_user_pools
  onDeleteProject(filter: ModelSubscriptionProjectFilterInput, owner: String): Project @aws_subscribe(mutations: ["deleteProject"]) @aws_api_key @aws_cognito_user_pools
}
"#;

    #[test]
    fn owner_rules_match_amplify_output() {
        let generated = generate(OWNER_INPUT, ConflictMode::None);
        // The inputs every API shares are checked against the reference elsewhere.
        let mut shared = Output::default();
        add_shared_inputs(&mut shared);
        let actual: Vec<Shape> = shapes(&generated)
            .unwrap_or_else(|e| panic!("{e}\n{generated}"))
            .into_iter()
            .filter(|s| !shared.has(&s.name))
            .collect();
        let expected = shapes(OWNER_OUTPUT).unwrap_or_else(|e| panic!("{e}"));
        if let Err(difference) = compare_shapes(&expected, &actual) {
            panic!("owner-rule API differs from Amplify's: {difference}\n\n{generated}");
        }
    }

    #[test]
    fn default_mode_alone_needs_no_directive() {
        let sdl = "type Note @model @auth(rules: [{ allow: public }]) { id: ID! text: String }";
        let schema = parse_model_schema(sdl).unwrap_or_else(|e| panic!("{e}"));
        let with_api_key_default = generate_api_sdl(&schema, ConflictMode::None);
        assert!(
            !with_api_key_default.contains("@aws_api_key"),
            "{with_api_key_default}"
        );
        let with_pools_default =
            generate_api_sdl_with_default_auth(&schema, ConflictMode::None, AuthMode::UserPools);
        let shapes = shapes(&with_pools_default).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(shape_of(&shapes, "Note").directives, ["@aws_api_key()"]);
        assert_eq!(
            member(shape_of(&shapes, "Query"), "listNotes").directives,
            ["@aws_api_key()"]
        );
    }

    #[test]
    fn operations_of_models_with_auth_move_behind_the_others() {
        // The transformer rewrites a root field when it adds directives, appending it anew.
        let sdl = "type Alpha @model @auth(rules: [{allow: public}, {allow: private}]) { id: ID! } type Beta @model { id: ID! }";
        let generated = generate(sdl, ConflictMode::None);
        let shapes = shapes(&generated).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            member_names(shape_of(&shapes, "Query")),
            ["getBeta", "listBetas", "getAlpha", "listAlphas"]
        );
    }

    #[test]
    fn model_type_fields_list_the_generated_shape() {
        let schema = parse_model_schema(OWNER_INPUT).unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<String> = model_type_fields(&schema.models[0], ConflictMode::Automerge)
            .into_iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(
            names,
            [
                "id",
                "title",
                "description",
                "status",
                "deadline",
                "color",
                "createdAt",
                "updatedAt",
                "_version",
                "_deleted",
                "_lastChangedAt",
                "owner"
            ]
        );
    }
}
