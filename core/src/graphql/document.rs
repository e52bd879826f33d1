//! One parsed operation and the bounded cache that makes "parse once, reuse" hold.

use super::ast::{Definition, Document, Field, OperationDefinition, Selection, SelectionSet, Type};
use super::{parser, validate, DocumentError};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

/// Query, mutation or subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OperationKind {
    Query,
    Mutation,
    Subscription,
}

impl fmt::Display for OperationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OperationKind::Query => "query",
            OperationKind::Mutation => "mutation",
            OperationKind::Subscription => "subscription",
        })
    }
}

/// A declared variable of the selected operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableDefinition {
    pub name: String,
    /// The type as written, e.g. `CreateTodoInput!`.
    pub type_name: String,
    /// Non-null without a default value: the request must supply it.
    pub required: bool,
}

/// A parsed, checked operation, ready to send. Cheap to share (`Arc`).
pub struct Operation {
    kind: OperationKind,
    name: Option<String>,
    variables: Vec<VariableDefinition>,
    root_fields: Vec<String>,
    text: String,
    document: Document,
}

impl fmt::Debug for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Operation")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("variables", &self.variables)
            .finish_non_exhaustive()
    }
}

impl Operation {
    /// Parses `text` and selects the operation named `operation_name` (required when the
    /// document holds several).
    pub fn parse(text: &str, operation_name: Option<&str>) -> Result<Operation, DocumentError> {
        let mut document = parser::parse(text)?;
        validate::check_document(&document)?;
        let selected = select_operation(&document, operation_name)?;
        let (kind, name, variables, root_fields) = describe(selected);
        add_typename(&mut document);
        let text = document.to_string();
        Ok(Operation {
            kind,
            name,
            variables,
            root_fields,
            text,
            document,
        })
    }

    pub fn kind(&self) -> OperationKind {
        self.kind
    }
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    pub fn variables(&self) -> &[VariableDefinition] {
        &self.variables
    }
    /// Response keys (alias or name) of the root selection set.
    pub fn root_fields(&self) -> &[String] {
        &self.root_fields
    }
    /// The document as sent: printed from the parsed tree, `__typename` included.
    pub fn text(&self) -> &str {
        &self.text
    }
    /// The parsed document, for consumers that walk selection sets (the cache).
    pub fn document(&self) -> &Document {
        &self.document
    }

    /// Checks request variables against the declarations: an object (or nothing), and every
    /// required variable present and non-null.
    pub fn check_variables(
        &self,
        variables: Option<&serde_json::Value>,
    ) -> Result<(), DocumentError> {
        let map = match variables {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::Object(map)) => Some(map),
            Some(_) => return Err(DocumentError::new("variables must be a JSON object")),
        };
        for var in self.variables.iter().filter(|v| v.required) {
            let present = map
                .and_then(|m| m.get(&var.name))
                .is_some_and(|v| !v.is_null());
            if !present {
                return Err(DocumentError::new(format!(
                    "variable `${}` of required type `{}` was not provided",
                    var.name, var.type_name
                )));
            }
        }
        Ok(())
    }
}

fn select_operation<'d>(
    document: &'d Document,
    operation_name: Option<&str>,
) -> Result<&'d OperationDefinition, DocumentError> {
    let operations: Vec<_> = document
        .definitions
        .iter()
        .filter_map(|d| match d {
            Definition::Operation(op) => Some(op),
            Definition::Fragment(_) => None,
        })
        .collect();
    match (operations.as_slice(), operation_name) {
        ([], _) => Err(DocumentError::new("the document contains no operation")),
        ([only], None) => Ok(only),
        (_, None) => Err(DocumentError::new(
            "the document contains several operations: an operation name is required",
        )),
        (ops, Some(wanted)) => ops
            .iter()
            .find(|op| op.name.as_deref() == Some(wanted))
            .copied()
            .ok_or_else(|| {
                DocumentError::new(format!("no operation named `{wanted}` in the document"))
            }),
    }
}

type Described = (
    OperationKind,
    Option<String>,
    Vec<VariableDefinition>,
    Vec<String>,
);

fn describe(op: &OperationDefinition) -> Described {
    let variables = op
        .variable_definitions
        .iter()
        .map(|v| VariableDefinition {
            name: v.name.clone(),
            type_name: v.var_type.to_string(),
            required: matches!(v.var_type, Type::NonNull(_)) && v.default_value.is_none(),
        })
        .collect();
    let root_fields = op
        .selection_set
        .items
        .iter()
        .filter_map(|s| match s {
            Selection::Field(f) => Some(f.response_key().to_owned()),
            _ => None,
        })
        .collect();
    (op.kind, op.name.clone(), variables, root_fields)
}

const ROOT_TYPES: [&str; 3] = ["Query", "Mutation", "Subscription"];

/// Adds `__typename` to every selection set but the operations' roots (a subscription root may
/// hold exactly one field, and root types are known anyway).
pub(super) fn add_typename(document: &mut Document) {
    for definition in &mut document.definitions {
        match definition {
            Definition::Operation(op) => add_typename_below(&mut op.selection_set),
            Definition::Fragment(fragment) => {
                if ROOT_TYPES.contains(&fragment.type_condition.as_str()) {
                    add_typename_below(&mut fragment.selection_set);
                } else {
                    add_typename_here(&mut fragment.selection_set);
                }
            }
        }
    }
}

fn add_typename_below(set: &mut SelectionSet) {
    for item in &mut set.items {
        match item {
            Selection::Field(field) if !field.selection_set.items.is_empty() => {
                add_typename_here(&mut field.selection_set)
            }
            Selection::InlineFragment(inline) => add_typename_below(&mut inline.selection_set),
            _ => {}
        }
    }
}

fn add_typename_here(set: &mut SelectionSet) {
    let has = set
        .items
        .iter()
        .any(|s| matches!(s, Selection::Field(f) if f.name == "__typename" && f.alias.is_none()));
    add_typename_below(set);
    for item in &mut set.items {
        if let Selection::InlineFragment(inline) = item {
            add_typename_here(&mut inline.selection_set);
        }
    }
    if !has {
        set.items.push(Selection::Field(Field::leaf("__typename")));
    }
}

/// A document's text and the operation name chosen from it.
type OperationKey = (String, Option<String>);

/// Parsed operations by their text, so a document used again is not parsed again. Bounded: when
/// full it starts over, which costs one parse per document, never unbounded memory.
#[derive(Debug)]
pub struct OperationCache {
    entries: Mutex<HashMap<OperationKey, Arc<Operation>>>,
    capacity: usize,
}

impl Default for OperationCache {
    fn default() -> Self {
        OperationCache {
            entries: Mutex::new(HashMap::new()),
            capacity: 512,
        }
    }
}

impl OperationCache {
    pub fn get_or_parse(
        &self,
        text: &str,
        operation_name: Option<&str>,
    ) -> Result<Arc<Operation>, DocumentError> {
        let key = (text.to_owned(), operation_name.map(str::to_owned));
        if let Ok(entries) = self.entries.lock() {
            if let Some(op) = entries.get(&key) {
                return Ok(op.clone());
            }
        }
        let op = Arc::new(Operation::parse(text, operation_name)?);
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= self.capacity {
                entries.clear();
            }
            entries.insert(key, op.clone());
        }
        Ok(op)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kind_name_variables_and_root_fields() {
        let op = Operation::parse(
            "mutation Add($input: CreateTodoInput!, $c: ModelTodoConditionInput, $n: Int! = 3) {
               made: createTodo(input: $input, condition: $c) { id name } }",
            None,
        )
        .unwrap();
        assert_eq!(op.kind(), OperationKind::Mutation);
        assert_eq!(op.name(), Some("Add"));
        let required: Vec<_> = op
            .variables()
            .iter()
            .map(|v| (v.name.as_str(), v.required))
            .collect();
        assert_eq!(required, vec![("input", true), ("c", false), ("n", false)]);
        assert_eq!(op.root_fields(), ["made"]);
        assert_eq!(op.variables()[0].type_name, "CreateTodoInput!");
    }

    #[test]
    fn adds_typename_to_every_selection_set_but_the_root() {
        let op = Operation::parse(
            "query { listTodos { items { id ... on Todo { name } owner { ...O } } } }
             fragment O on User { id }",
            None,
        )
        .unwrap();
        let printed = op.text();
        // listTodos, items, the inline fragment, owner and the fragment: five, not at the root.
        assert_eq!(printed.matches("__typename").count(), 5, "{printed}");
        let reparsed = Operation::parse(printed, None).unwrap();
        assert_eq!(reparsed.text(), printed, "adding is idempotent");
    }

    #[test]
    fn keeps_an_existing_typename_and_leaves_scalars_alone() {
        let op = Operation::parse("{ getTodo(id: \"1\") { __typename id } }", None).unwrap();
        assert_eq!(op.text().matches("__typename").count(), 1);
    }

    #[test]
    fn subscription_root_gets_no_typename() {
        let op = Operation::parse("subscription { onCreateTodo { id } }", None).unwrap();
        assert_eq!(op.kind(), OperationKind::Subscription);
        assert_eq!(op.text().matches("__typename").count(), 1);
        assert!(!op.text().contains("__typename\n}\n") || op.text().contains("id"));
    }

    #[test]
    fn selects_by_operation_name() {
        let doc = "query A { a } query B { b }";
        assert_eq!(
            Operation::parse(doc, Some("B")).unwrap().root_fields(),
            ["b"]
        );
        assert!(Operation::parse(doc, None)
            .unwrap_err()
            .message
            .contains("operation name"));
        assert!(Operation::parse(doc, Some("C"))
            .unwrap_err()
            .message
            .contains("`C`"));
    }

    #[test]
    fn syntax_errors_are_document_errors() {
        let e = Operation::parse("query { getTodo(id: ) { id }", None).unwrap_err();
        assert!(!e.message.is_empty());
        assert!(Operation::parse("", None).is_err());
        assert!(Operation::parse("fragment F on T { a }", None)
            .unwrap_err()
            .message
            .contains("no operation"));
    }

    #[test]
    fn missing_required_variables_are_caught() {
        let op = Operation::parse("query Q($id: ID!) { getTodo(id: $id) { id } }", None).unwrap();
        assert!(op.check_variables(None).is_err());
        assert!(op
            .check_variables(Some(&serde_json::json!({"id": null})))
            .is_err());
        assert!(op.check_variables(Some(&serde_json::json!([1]))).is_err());
        assert!(op
            .check_variables(Some(&serde_json::json!({"id": "1"})))
            .is_ok());
    }

    #[test]
    fn cache_returns_the_same_parse() {
        let cache = OperationCache::default();
        let a = cache.get_or_parse("{ a }", None).unwrap();
        let b = cache.get_or_parse("{ a }", None).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
    }
}
