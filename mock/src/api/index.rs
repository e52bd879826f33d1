//! The generated API as lookup tables: object types with their fields, arguments and auth
//! directives, input types and enums. Built by parsing the generated SDL, so the executor
//! validates requests against exactly the schema clients are told about.

use graphql_parser::schema::{Definition, Type, TypeDefinition};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::fmt;

/// A GraphQL type reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    Named(String),
    List(Box<Ty>),
    NonNull(Box<Ty>),
}

impl Ty {
    fn from_parsed(t: &Type<'_, String>) -> Ty {
        match t {
            Type::NamedType(n) => Ty::Named(n.clone()),
            Type::ListType(inner) => Ty::List(Box::new(Ty::from_parsed(inner))),
            Type::NonNullType(inner) => Ty::NonNull(Box::new(Ty::from_parsed(inner))),
        }
    }

    /// Parses a type as written in a variable definition (`[String!]!`).
    pub fn from_query_type(t: &graphql_parser::query::Type<'_, String>) -> Ty {
        Ty::from_parsed(t)
    }

    /// The innermost named type.
    pub fn named(&self) -> &str {
        match self {
            Ty::Named(n) => n,
            Ty::List(inner) | Ty::NonNull(inner) => inner.named(),
        }
    }

    pub fn is_non_null(&self) -> bool {
        matches!(self, Ty::NonNull(_))
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Named(n) => f.write_str(n),
            Ty::List(inner) => write!(f, "[{inner}]"),
            Ty::NonNull(inner) => write!(f, "{inner}!"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ArgInfo {
    pub name: String,
    pub ty: Ty,
    pub default: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct FieldInfo {
    pub ty: Ty,
    pub args: Vec<ArgInfo>,
    /// `aws_api_key`, `aws_iam`, ... (without `@`).
    pub directives: Vec<String>,
    /// For subscription fields: the mutations of `@aws_subscribe(mutations: [...])`.
    pub subscribe_mutations: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ObjectInfo {
    pub fields: HashMap<String, FieldInfo>,
    pub directives: Vec<String>,
}

/// The lookup tables of one API.
#[derive(Debug, Clone, Default)]
pub struct TypeIndex {
    pub objects: HashMap<String, ObjectInfo>,
    pub inputs: HashMap<String, Vec<ArgInfo>>,
    pub enums: HashMap<String, Vec<String>>,
}

/// Fields a client may never write (AppSync answers `BadRequest`).
pub const METADATA_FIELDS: [&str; 4] = ["_deleted", "_lastChangedAt", "createdAt", "updatedAt"];

/// An argument or variable value that does not fit its type.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    pub message: String,
    /// `Some("BadRequest")` for writes of metadata fields; validation errors have none.
    pub error_type: Option<&'static str>,
}

impl InputError {
    fn validation(message: String) -> Self {
        InputError {
            message,
            error_type: None,
        }
    }
}

fn const_value(v: &graphql_parser::schema::Value<'_, String>) -> Value {
    use graphql_parser::schema::Value as V;
    match v {
        V::Null | V::Variable(_) => Value::Null,
        V::Int(n) => n.as_i64().map_or(Value::Null, Value::from),
        V::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        V::String(s) => Value::String(s.clone()),
        V::Boolean(b) => Value::Bool(*b),
        V::Enum(e) => Value::String(e.clone()),
        V::List(items) => Value::Array(items.iter().map(const_value).collect()),
        V::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), const_value(v)))
                .collect(),
        ),
    }
}

/// The mutation names of an `@aws_subscribe(mutations: [...])` directive, if there is one.
fn subscribe_mutations(
    directives: &[graphql_parser::schema::Directive<'_, String>],
) -> Vec<String> {
    directives
        .iter()
        .filter(|d| d.name == "aws_subscribe")
        .flat_map(|d| d.arguments.iter().filter(|(name, _)| name == "mutations"))
        .flat_map(|(_, value)| match const_value(value) {
            Value::Array(items) => items
                .into_iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        })
        .collect()
}

impl TypeIndex {
    /// Builds the index from SDL text.
    pub fn from_sdl(sdl: &str) -> Result<TypeIndex, String> {
        let document = graphql_parser::parse_schema::<String>(sdl).map_err(|e| e.to_string())?;
        let mut index = TypeIndex::default();
        let args_of = |values: &[graphql_parser::schema::InputValue<'_, String>]| -> Vec<ArgInfo> {
            values
                .iter()
                .map(|v| ArgInfo {
                    name: v.name.clone(),
                    ty: Ty::from_parsed(&v.value_type),
                    default: v.default_value.as_ref().map(const_value),
                })
                .collect()
        };
        for definition in &document.definitions {
            let Definition::TypeDefinition(def) = definition else {
                continue;
            };
            match def {
                TypeDefinition::Object(object) => {
                    let fields = object
                        .fields
                        .iter()
                        .map(|f| {
                            let info = FieldInfo {
                                ty: Ty::from_parsed(&f.field_type),
                                args: args_of(&f.arguments),
                                directives: f.directives.iter().map(|d| d.name.clone()).collect(),
                                subscribe_mutations: subscribe_mutations(&f.directives),
                            };
                            (f.name.clone(), info)
                        })
                        .collect();
                    let directives = object.directives.iter().map(|d| d.name.clone()).collect();
                    index
                        .objects
                        .insert(object.name.clone(), ObjectInfo { fields, directives });
                }
                TypeDefinition::InputObject(input) => {
                    index
                        .inputs
                        .insert(input.name.clone(), args_of(&input.fields));
                }
                TypeDefinition::Enum(e) => {
                    index.enums.insert(
                        e.name.clone(),
                        e.values.iter().map(|v| v.name.clone()).collect(),
                    );
                }
                _ => {}
            }
        }
        Ok(index)
    }

    pub fn field(&self, type_name: &str, field: &str) -> Option<&FieldInfo> {
        self.objects.get(type_name)?.fields.get(field)
    }

    pub fn is_leaf(&self, type_name: &str) -> bool {
        !self.objects.contains_key(type_name)
    }

    pub fn is_input_type(&self, type_name: &str) -> bool {
        self.inputs.contains_key(type_name)
            || self.enums.contains_key(type_name)
            || is_scalar(type_name)
    }

    /// Coerces a JSON input value to `ty` as GraphQL input coercion does (a single value where
    /// a list is expected becomes a one-item list), or says why it does not fit.
    pub fn coerce(&self, value: &Value, ty: &Ty, path: &str) -> Result<Value, InputError> {
        match ty {
            Ty::NonNull(inner) => {
                if value.is_null() {
                    return Err(InputError::validation(format!(
                        "'{path}' has coerced Null value for NonNull type '{ty}'"
                    )));
                }
                self.coerce(value, inner, path)
            }
            _ if value.is_null() => Ok(Value::Null),
            Ty::List(inner) => match value {
                Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.coerce(v, inner, &format!("{path}[{i}]")))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::Array),
                single => Ok(Value::Array(vec![self.coerce(single, inner, path)?])),
            },
            Ty::Named(name) => self.coerce_named(value, name, path),
        }
    }

    fn coerce_named(&self, value: &Value, name: &str, path: &str) -> Result<Value, InputError> {
        let wrong = || {
            InputError::validation(format!(
                "'{path}' has an invalid value: {} is not a valid '{name}'",
                short(value)
            ))
        };
        if let Some(fields) = self.inputs.get(name) {
            let Value::Object(map) = value else {
                return Err(wrong());
            };
            for key in map.keys() {
                if !fields.iter().any(|f| &f.name == key) {
                    if METADATA_FIELDS.contains(&key.as_str()) {
                        return Err(InputError {
                            message: format!(
                                "Client cannot write the metadata field '{key}' ({path}.{key})"
                            ),
                            error_type: Some("BadRequest"),
                        });
                    }
                    return Err(InputError::validation(format!(
                        "'{path}' contains a field name '{key}' that is not defined for input object type '{name}'"
                    )));
                }
            }
            let mut out = Map::new();
            for field in fields {
                let sub = format!("{path}.{}", field.name);
                match map.get(&field.name) {
                    Some(v) => {
                        out.insert(field.name.clone(), self.coerce(v, &field.ty, &sub)?);
                    }
                    None if field.ty.is_non_null() && field.default.is_none() => {
                        return Err(InputError::validation(format!(
                            "'{sub}' is missing, but its type '{}' is non-null",
                            field.ty
                        )));
                    }
                    None => {
                        if let Some(default) = &field.default {
                            out.insert(field.name.clone(), default.clone());
                        }
                    }
                }
            }
            return Ok(Value::Object(out));
        }
        if let Some(values) = self.enums.get(name) {
            return match value {
                Value::String(s) if values.contains(s) => Ok(value.clone()),
                _ => Err(wrong()),
            };
        }
        let ok = match name {
            "ID" => value.is_string() || value.is_i64() || value.is_u64(),
            "String" | "AWSDateTime" | "AWSDate" | "AWSTime" | "AWSEmail" | "AWSURL"
            | "AWSPhone" | "AWSIPAddress" => value.is_string(),
            "Int" => value.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
            "AWSTimestamp" => value.is_i64() || value.is_u64(),
            "Float" => value.is_number(),
            "Boolean" => value.is_boolean(),
            "AWSJSON" => match value {
                Value::String(s) => serde_json::from_str::<Value>(s).is_ok(),
                _ => false,
            },
            _ => {
                return Err(InputError::validation(format!(
                    "'{path}': unknown type '{name}'"
                )))
            }
        };
        if !ok {
            return Err(wrong());
        }
        // IDs travel as strings.
        if name == "ID" && !value.is_string() {
            return Ok(Value::String(value.to_string()));
        }
        Ok(value.clone())
    }
}

/// Built-in and AWS scalars.
pub fn is_scalar(name: &str) -> bool {
    matches!(
        name,
        "ID" | "String"
            | "Int"
            | "Float"
            | "Boolean"
            | "AWSDateTime"
            | "AWSDate"
            | "AWSTime"
            | "AWSTimestamp"
            | "AWSJSON"
            | "AWSEmail"
            | "AWSURL"
            | "AWSPhone"
            | "AWSIPAddress"
    )
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SDL: &str = "
        enum Color { RED GREEN }
        input CreateTodoInput { id: ID name: String! tags: [String] color: Color _version: Int }
        type Todo @aws_api_key { id: ID! name: String! }
        type Query { getTodo(id: ID!): Todo @aws_api_key @aws_iam }";

    #[test]
    fn indexes_fields_arguments_and_directives() {
        let index = TypeIndex::from_sdl(SDL).unwrap();
        let get = index.field("Query", "getTodo").unwrap();
        assert_eq!(get.ty, Ty::Named("Todo".into()));
        assert_eq!(get.args[0].ty.to_string(), "ID!");
        assert_eq!(get.directives, ["aws_api_key", "aws_iam"]);
        assert!(index.is_leaf("String") && !index.is_leaf("Todo"));
    }

    #[test]
    fn coerces_inputs_and_names_what_is_wrong() {
        let index = TypeIndex::from_sdl(SDL).unwrap();
        let ty = Ty::NonNull(Box::new(Ty::Named("CreateTodoInput".into())));
        let ok = index
            .coerce(
                &json!({"name": "a", "tags": "x", "id": 5, "color": "RED"}),
                &ty,
                "input",
            )
            .unwrap();
        assert_eq!(
            ok,
            json!({"id": "5", "name": "a", "tags": ["x"], "color": "RED"})
        );
        let missing = index.coerce(&json!({}), &ty, "input").unwrap_err();
        assert!(missing.message.contains("input.name"), "{missing:?}");
        let unknown = index
            .coerce(&json!({"name": "a", "bogus": 1}), &ty, "input")
            .unwrap_err();
        assert!(unknown.message.contains("bogus") && unknown.error_type.is_none());
        let meta = index
            .coerce(&json!({"name": "a", "_deleted": true}), &ty, "input")
            .unwrap_err();
        assert_eq!(meta.error_type, Some("BadRequest"));
        assert!(index.coerce(&json!({"name": 3}), &ty, "input").is_err());
        assert!(index
            .coerce(&json!({"name": "a", "color": "BLUE"}), &ty, "input")
            .is_err());
        assert!(index.coerce(&Value::Null, &ty, "input").is_err());
    }
}
