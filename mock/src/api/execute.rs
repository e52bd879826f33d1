//! Executes a GraphQL request against the generated API the way AppSync does: validation errors
//! before anything runs, per-field auth, one resolver per root field, the selection set applied
//! to each result, errors in AppSync's shape with `path` and `locations`.

use super::index::{InputError, Ty};
use super::{Api, FieldError};
use crate::schema::AuthMode;
use graphql_parser::query::{
    Definition, Document, Field, FragmentDefinition, OperationDefinition, Selection, SelectionSet,
    TypeCondition, Value as QValue,
};
use graphql_parser::Pos;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// The deepest nesting of braces, brackets and parentheses a document may have. Deeper
/// documents are rejected before parsing, so no request can exhaust the stack.
pub const MAX_DOCUMENT_DEPTH: usize = 64;

/// A GraphQL request body.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphQLBody {
    pub query: String,
    #[serde(default)]
    pub variables: Option<Value>,
    #[serde(default)]
    pub operation_name: Option<String>,
}

/// An HTTP status and JSON body to answer with.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub status: u16,
    pub body: Value,
}

pub(crate) type Fragments<'d> = HashMap<&'d str, &'d FragmentDefinition<'static, String>>;

/// A request that parsed, selected its operation, coerced its variables and validated.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub document: Document<'static, String>,
    pub op_index: usize,
    pub root_type: &'static str,
    pub variables: Map<String, Value>,
}

impl Prepared {
    pub fn selection_set(&self) -> &SelectionSet<'static, String> {
        match self.document.definitions.get(self.op_index) {
            Some(Definition::Operation(op)) => match op {
                OperationDefinition::SelectionSet(s) => s,
                OperationDefinition::Query(q) => &q.selection_set,
                OperationDefinition::Mutation(m) => &m.selection_set,
                OperationDefinition::Subscription(s) => &s.selection_set,
            },
            _ => &EMPTY_SET,
        }
    }
}

static EMPTY_SET: SelectionSet<'static, String> = SelectionSet {
    span: (Pos { line: 0, column: 0 }, Pos { line: 0, column: 0 }),
    items: Vec::new(),
};

/// The fragment definitions of a document by name.
pub(crate) fn fragments_of<'a>(document: &'a Document<'static, String>) -> Fragments<'a> {
    document
        .definitions
        .iter()
        .filter_map(|d| match d {
            Definition::Fragment(f) => Some((f.name.as_str(), f)),
            _ => None,
        })
        .collect()
}

/// An error entry in AppSync's shape.
pub fn error_entry(
    message: &str,
    error_type: Option<&str>,
    path: Option<Vec<Value>>,
    pos: Option<Pos>,
    data: Option<Value>,
) -> Value {
    json!({
        "path": path,
        "data": data,
        "errorType": error_type,
        "errorInfo": null,
        "locations": pos.map(|p| vec![json!({"line": p.line, "column": p.column, "sourceName": null})]).unwrap_or_default(),
        "message": message,
    })
}

fn validation_failure(errors: Vec<Value>) -> Outcome {
    Outcome {
        status: 200,
        body: json!({ "data": null, "errors": errors }),
    }
}

/// Rejects documents nested deeper than [`MAX_DOCUMENT_DEPTH`], skipping string literals.
pub fn check_depth(text: &str) -> Result<(), String> {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for c in text.chars() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' | '(' => {
                depth += 1;
                max = max.max(depth);
            }
            '}' | ']' | ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if max > MAX_DOCUMENT_DEPTH {
            return Err(format!(
                "the document is nested deeper than {MAX_DOCUMENT_DEPTH} levels"
            ));
        }
    }
    Ok(())
}

impl Api {
    /// Parses, selects the operation, coerces variables and validates the selection set.
    pub(crate) fn prepare(&self, body: &GraphQLBody) -> Result<Prepared, Outcome> {
        if let Err(message) = check_depth(&body.query) {
            return Err(malformed(&message));
        }
        let document: Document<'static, String> =
            match graphql_parser::parse_query::<String>(&body.query) {
                Ok(d) => d.into_static(),
                Err(e) => {
                    return Err(malformed(&format!(
                        "Unable to parse GraphQL query: {}",
                        e.to_string().trim()
                    )))
                }
            };
        let fragments = fragments_of(&document);
        let operations: Vec<&OperationDefinition<'static, String>> = document
            .definitions
            .iter()
            .filter_map(|d| match d {
                Definition::Operation(op) => Some(op),
                _ => None,
            })
            .collect();
        let operation = match (&operations[..], body.operation_name.as_deref()) {
            ([], _) => {
                return Err(validation_failure(vec![error_entry(
                    "No operation in the document",
                    None,
                    None,
                    None,
                    None,
                )]))
            }
            ([only], None) => *only,
            (_, None) => {
                return Err(validation_failure(vec![error_entry(
                    "Must provide operation name if query contains multiple operations",
                    None,
                    None,
                    None,
                    None,
                )]))
            }
            (ops, Some(name)) => match ops.iter().find(|op| op_name(op) == Some(name)) {
                Some(op) => *op,
                None => {
                    return Err(validation_failure(vec![error_entry(
                        &format!("Unknown operation named '{name}'."),
                        None,
                        None,
                        None,
                        None,
                    )]))
                }
            },
        };
        let (root_type, var_defs, selection) = match operation {
            OperationDefinition::SelectionSet(s) => ("Query", &[][..], s),
            OperationDefinition::Query(q) => {
                ("Query", &q.variable_definitions[..], &q.selection_set)
            }
            OperationDefinition::Mutation(m) => {
                ("Mutation", &m.variable_definitions[..], &m.selection_set)
            }
            OperationDefinition::Subscription(s) => (
                "Subscription",
                &s.variable_definitions[..],
                &s.selection_set,
            ),
        };

        // Variables: declared types must exist; values are coerced to them.
        let provided = match &body.variables {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(map)) => map.clone(),
            Some(_) => return Err(malformed("variables must be a JSON object")),
        };
        let mut variables = Map::new();
        let mut errors = Vec::new();
        for def in var_defs {
            let ty = Ty::from_query_type(&def.var_type);
            if !self.index.is_input_type(ty.named()) {
                errors.push(error_entry(
                    &format!(
                        "Validation error of type UnknownType: Unknown type {}",
                        ty.named()
                    ),
                    None,
                    None,
                    Some(def.position),
                    None,
                ));
                continue;
            }
            let value = match (provided.get(&def.name), &def.default_value) {
                (Some(v), _) => v.clone(),
                (None, Some(default)) => to_json(default, &Map::new()),
                (None, None) if ty.is_non_null() => {
                    errors.push(error_entry(
                        &format!(
                            "Variable '{}' has coerced Null value for NonNull type '{ty}'",
                            def.name
                        ),
                        None,
                        None,
                        Some(def.position),
                        None,
                    ));
                    continue;
                }
                (None, None) => continue,
            };
            match self.index.coerce(&value, &ty, &def.name) {
                Ok(v) => {
                    variables.insert(def.name.clone(), v);
                }
                Err(e) => errors.push(input_error_entry(
                    &format!("Variable '{}' has an invalid value", def.name),
                    e,
                    Some(def.position),
                )),
            }
        }
        self.validate_set(
            root_type,
            selection,
            &fragments,
            &mut Vec::new(),
            &mut errors,
        );
        if !errors.is_empty() {
            return Err(validation_failure(errors));
        }
        let op_index = document
            .definitions
            .iter()
            .position(|d| matches!(d, Definition::Operation(op) if std::ptr::eq(op, operation)))
            .unwrap_or(0);
        drop(fragments);
        Ok(Prepared {
            document,
            op_index,
            root_type,
            variables,
        })
    }

    /// Runs one request made with auth `mode`.
    pub fn execute(&self, body: &GraphQLBody, mode: AuthMode) -> Outcome {
        let prepared = match self.prepare(body) {
            Ok(p) => p,
            Err(outcome) => return outcome,
        };
        let root_type = prepared.root_type;
        let selection = prepared.selection_set();
        let fragments = fragments_of(&prepared.document);
        let variables = &prepared.variables;
        if root_type == "Subscription" {
            return validation_failure(vec![error_entry(
                "Subscriptions are served over the realtime WebSocket endpoint, not HTTP",
                Some("UnsupportedOperation"),
                None,
                None,
                None,
            )]);
        }

        let mut data = Map::new();
        let mut field_errors = Vec::new();
        for field in collect_fields(root_type, selection, &fragments, variables) {
            let key = field.alias.clone().unwrap_or_else(|| field.name.clone());
            if field.name == "__typename" {
                data.insert(key, Value::String(root_type.to_owned()));
                continue;
            }
            let path = vec![Value::String(key.clone())];
            let result = self.resolve_field(root_type, field, variables, mode);
            match result {
                Ok(value) => {
                    let ty = self
                        .index
                        .field(root_type, &field.name)
                        .map(|f| f.ty.clone());
                    let projected = match ty {
                        Some(ty) => {
                            self.project(&value, &ty, &field.selection_set, &fragments, variables)
                        }
                        None => Value::Null,
                    };
                    data.insert(key, projected);
                }
                Err(e) => {
                    data.insert(key, Value::Null);
                    field_errors.push(error_entry(
                        &e.message,
                        Some(&e.error_type),
                        Some(path),
                        Some(field.position),
                        e.data,
                    ));
                }
            }
        }
        let mut body = json!({ "data": data });
        if !field_errors.is_empty() {
            body["errors"] = Value::Array(field_errors);
        }
        Outcome { status: 200, body }
    }

    /// Whether a request in `mode` may use a field: its `@aws_*` directives, or the default
    /// mode alone when it has none (as AppSync does).
    pub(crate) fn permits(&self, info: &super::index::FieldInfo, mode: AuthMode) -> bool {
        let allowed: Vec<AuthMode> = info
            .directives
            .iter()
            .filter_map(|d| super::mode_from_directive(d))
            .collect();
        if allowed.is_empty() {
            mode == self.default_mode
        } else {
            allowed.contains(&mode)
        }
    }

    fn resolve_field(
        &self,
        root_type: &str,
        field: &Field<'static, String>,
        variables: &Map<String, Value>,
        mode: AuthMode,
    ) -> Result<Value, FieldError> {
        let info = self.index.field(root_type, &field.name).ok_or_else(|| {
            FieldError::new("ValidationError", format!("Unknown field {}", field.name))
        })?;
        if !self.permits(info, mode) {
            return Err(FieldError::new(
                "Unauthorized",
                format!(
                    "Not Authorized to access {} on type {root_type}",
                    field.name
                ),
            ));
        }
        let mut args = Map::new();
        for arg in &info.args {
            let given = field
                .arguments
                .iter()
                .find(|(n, _)| n == &arg.name)
                .map(|(_, v)| v);
            let value = match given {
                Some(QValue::Variable(name)) if !variables.contains_key(name) => None,
                Some(v) => Some(to_json(v, variables)),
                None => arg.default.clone(),
            };
            let Some(value) = value else {
                if arg.ty.is_non_null() {
                    return Err(FieldError::new(
                        "ValidationError",
                        format!("Missing required argument '{}'", arg.name),
                    ));
                }
                continue;
            };
            let coerced =
                self.index
                    .coerce(&value, &arg.ty, &arg.name)
                    .map_err(|e| FieldError {
                        error_type: e.error_type.unwrap_or("ValidationError").to_owned(),
                        message: e.message,
                        data: None,
                    })?;
            args.insert(arg.name.clone(), coerced);
        }
        self.resolve(&field.name, args)
    }

    fn validate_set<'d>(
        &self,
        type_name: &str,
        set: &'d SelectionSet<'static, String>,
        fragments: &Fragments<'d>,
        visiting: &mut Vec<&'d str>,
        errors: &mut Vec<Value>,
    ) {
        for item in &set.items {
            match item {
                Selection::Field(field) => {
                    if field.name == "__typename" {
                        continue;
                    }
                    let Some(info) = self.index.field(type_name, &field.name) else {
                        errors.push(error_entry(
                            &format!("Validation error of type FieldUndefined: Field '{}' in type '{type_name}' is undefined", field.name),
                            None, None, Some(field.position), None,
                        ));
                        continue;
                    };
                    for (name, _) in &field.arguments {
                        if !info.args.iter().any(|a| &a.name == name) {
                            errors.push(error_entry(
                                &format!("Validation error of type UnknownArgument: Unknown field argument {name}"),
                                None, None, Some(field.position), None,
                            ));
                        }
                    }
                    for arg in info
                        .args
                        .iter()
                        .filter(|a| a.ty.is_non_null() && a.default.is_none())
                    {
                        if !field.arguments.iter().any(|(n, _)| n == &arg.name) {
                            errors.push(error_entry(
                                &format!("Validation error of type MissingFieldArgument: Missing field argument {}", arg.name),
                                None, None, Some(field.position), None,
                            ));
                        }
                    }
                    let target = info.ty.named();
                    let leaf = self.index.is_leaf(target);
                    if leaf && !field.selection_set.items.is_empty() {
                        errors.push(error_entry(
                            &format!("Validation error of type SubSelectionNotAllowed: Sub selection not allowed on leaf type {target} of field {}", field.name),
                            None, None, Some(field.position), None,
                        ));
                    } else if !leaf && field.selection_set.items.is_empty() {
                        errors.push(error_entry(
                            &format!("Validation error of type SubSelectionRequired: Sub selection required for type {target} of field {}", field.name),
                            None, None, Some(field.position), None,
                        ));
                    } else if !leaf {
                        self.validate_set(
                            target,
                            &field.selection_set,
                            fragments,
                            visiting,
                            errors,
                        );
                    }
                }
                Selection::InlineFragment(inline) => {
                    let on = match &inline.type_condition {
                        Some(TypeCondition::On(on)) => on.as_str(),
                        None => type_name,
                    };
                    if on != type_name {
                        errors.push(error_entry(
                            &format!("Validation error of type InvalidFragmentType: Fragment cannot be spread here as objects of type '{type_name}' can never be of type '{on}'"),
                            None, None, Some(inline.position), None,
                        ));
                        continue;
                    }
                    self.validate_set(
                        type_name,
                        &inline.selection_set,
                        fragments,
                        visiting,
                        errors,
                    );
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.fragment_name.as_str();
                    let Some(fragment) = fragments.get(name) else {
                        errors.push(error_entry(
                            &format!("Validation error of type UndefinedFragment: Undefined fragment {name}"),
                            None, None, Some(spread.position), None,
                        ));
                        continue;
                    };
                    let TypeCondition::On(on) = &fragment.type_condition;
                    if on != type_name {
                        errors.push(error_entry(
                            &format!("Validation error of type InvalidFragmentType: Fragment {name} cannot be spread here as objects of type '{type_name}' can never be of type '{on}'"),
                            None, None, Some(spread.position), None,
                        ));
                        continue;
                    }
                    if visiting.contains(&name) {
                        errors.push(error_entry(
                            &format!(
                                "Validation error of type FragmentCycle: Fragment cycle at {name}"
                            ),
                            None,
                            None,
                            Some(spread.position),
                            None,
                        ));
                        continue;
                    }
                    visiting.push(name);
                    self.validate_set(
                        type_name,
                        &fragment.selection_set,
                        fragments,
                        visiting,
                        errors,
                    );
                    visiting.pop();
                }
            }
        }
    }

    /// Applies a selection set to a resolved value of type `ty`.
    pub fn project(
        &self,
        value: &Value,
        ty: &Ty,
        set: &SelectionSet<'static, String>,
        fragments: &Fragments<'_>,
        variables: &Map<String, Value>,
    ) -> Value {
        match (ty, value) {
            (_, Value::Null) => Value::Null,
            (Ty::NonNull(inner), _) => self.project(value, inner, set, fragments, variables),
            (Ty::List(inner), Value::Array(items)) => Value::Array(
                items
                    .iter()
                    .map(|v| self.project(v, inner, set, fragments, variables))
                    .collect(),
            ),
            (Ty::List(_), _) => Value::Null,
            (Ty::Named(name), _) if self.index.is_leaf(name) => value.clone(),
            (Ty::Named(name), Value::Object(object)) => {
                let mut out = Map::new();
                for field in collect_fields(name, set, fragments, variables) {
                    let key = field.alias.clone().unwrap_or_else(|| field.name.clone());
                    if field.name == "__typename" {
                        out.insert(key, Value::String(name.clone()));
                        continue;
                    }
                    let child = object.get(&field.name).unwrap_or(&Value::Null);
                    let projected = match self.index.field(name, &field.name) {
                        Some(info) => self.project(
                            child,
                            &info.ty,
                            &field.selection_set,
                            fragments,
                            variables,
                        ),
                        None => Value::Null,
                    };
                    out.insert(key, projected);
                }
                Value::Object(out)
            }
            (Ty::Named(_), _) => Value::Null,
        }
    }
}

/// The fields selected on `type_name`, with fragments flattened and @skip/@include applied.
pub(crate) fn collect_fields<'d>(
    type_name: &str,
    set: &'d SelectionSet<'static, String>,
    fragments: &Fragments<'d>,
    variables: &Map<String, Value>,
) -> Vec<&'d Field<'static, String>> {
    let mut out = Vec::new();
    collect_into(type_name, set, fragments, variables, &mut out, 0);
    out
}

fn collect_into<'d>(
    type_name: &str,
    set: &'d SelectionSet<'static, String>,
    fragments: &Fragments<'d>,
    variables: &Map<String, Value>,
    out: &mut Vec<&'d Field<'static, String>>,
    depth: usize,
) {
    if depth > MAX_DOCUMENT_DEPTH {
        return;
    }
    for item in &set.items {
        match item {
            Selection::Field(field) => {
                if included(&field.directives, variables) {
                    out.push(field);
                }
            }
            Selection::InlineFragment(inline) => {
                let applies = match &inline.type_condition {
                    Some(TypeCondition::On(on)) => on == type_name,
                    None => true,
                };
                if applies && included(&inline.directives, variables) {
                    collect_into(
                        type_name,
                        &inline.selection_set,
                        fragments,
                        variables,
                        out,
                        depth + 1,
                    );
                }
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = fragments.get(spread.fragment_name.as_str()) {
                    let TypeCondition::On(on) = &fragment.type_condition;
                    if on == type_name && included(&spread.directives, variables) {
                        collect_into(
                            type_name,
                            &fragment.selection_set,
                            fragments,
                            variables,
                            out,
                            depth + 1,
                        );
                    }
                }
            }
        }
    }
}

fn included(
    directives: &[graphql_parser::query::Directive<'static, String>],
    variables: &Map<String, Value>,
) -> bool {
    directives.iter().all(|d| {
        let flag = d
            .arguments
            .iter()
            .find(|(n, _)| n == "if")
            .map(|(_, v)| to_json(v, variables).as_bool().unwrap_or(false));
        !matches!(
            (d.name.as_str(), flag),
            ("skip", Some(true)) | ("include", Some(false))
        )
    })
}

fn op_name<'d>(op: &'d OperationDefinition<'static, String>) -> Option<&'d str> {
    match op {
        OperationDefinition::SelectionSet(_) => None,
        OperationDefinition::Query(q) => q.name.as_deref(),
        OperationDefinition::Mutation(m) => m.name.as_deref(),
        OperationDefinition::Subscription(s) => s.name.as_deref(),
    }
}

/// A literal argument as JSON, with variables substituted (an absent variable is left out of
/// objects and lists and becomes null elsewhere).
pub fn to_json(value: &QValue<'static, String>, variables: &Map<String, Value>) -> Value {
    match value {
        QValue::Variable(name) => variables.get(name).cloned().unwrap_or(Value::Null),
        QValue::Int(n) => n.as_i64().map_or(Value::Null, Value::from),
        QValue::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        QValue::String(s) => Value::String(s.clone()),
        QValue::Boolean(b) => Value::Bool(*b),
        QValue::Null => Value::Null,
        QValue::Enum(e) => Value::String(e.clone()),
        QValue::List(items) => Value::Array(
            items
                .iter()
                .filter(|v| !matches!(v, QValue::Variable(n) if !variables.contains_key(n)))
                .map(|v| to_json(v, variables))
                .collect(),
        ),
        QValue::Object(fields) => Value::Object(
            fields
                .iter()
                .filter(|(_, v)| !matches!(v, QValue::Variable(n) if !variables.contains_key(n)))
                .map(|(k, v)| (k.clone(), to_json(v, variables)))
                .collect(),
        ),
    }
}

fn input_error_entry(prefix: &str, e: InputError, pos: Option<Pos>) -> Value {
    error_entry(
        &format!("{prefix}: {}", e.message),
        e.error_type,
        None,
        pos,
        None,
    )
}

/// A request AppSync cannot even read: HTTP 400, `MalformedHttpRequestException`.
pub fn malformed(message: &str) -> Outcome {
    Outcome {
        status: 400,
        body: json!({"errors": [{"errorType": "MalformedHttpRequestException", "message": message}]}),
    }
}
