//! Walking an operation's selection sets: fields with fragments flattened, `@skip` / `@include`
//! applied, and arguments resolved against the variables.

use crate::graphql::ast::{
    Definition, Directive, Field, FragmentDefinition, Selection, SelectionSet, Value as QValue,
};
use crate::graphql::{Fragment, Operation};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// What a walk over one operation needs.
pub(crate) struct Walk<'d> {
    fragments: HashMap<&'d str, &'d FragmentDefinition>,
    pub variables: Map<String, Value>,
    pub root: &'d SelectionSet,
}

impl<'d> Walk<'d> {
    pub fn new(operation: &'d Operation, variables: Option<&Value>) -> Walk<'d> {
        let definitions = &operation.document().definitions;
        let mut root = None;
        for definition in definitions {
            if let Definition::Operation(op) = definition {
                if op.name.as_deref() == operation.name() || root.is_none() {
                    root = Some(&op.selection_set);
                }
            }
        }
        Walk::with_root(definitions, root, variables)
    }

    /// A walk whose root is a fragment's selection set (for one entity's record).
    pub fn fragment(fragment: &'d Fragment, variables: Option<&Value>) -> Walk<'d> {
        let definitions = &fragment.document().definitions;
        let root = definitions.iter().find_map(|d| match d {
            Definition::Fragment(f) if f.name == fragment.name() => Some(&f.selection_set),
            _ => None,
        });
        Walk::with_root(definitions, root, variables)
    }

    fn with_root(
        definitions: &'d [Definition],
        root: Option<&'d SelectionSet>,
        variables: Option<&Value>,
    ) -> Walk<'d> {
        static EMPTY: SelectionSet = SelectionSet { items: Vec::new() };
        let fragments = definitions
            .iter()
            .filter_map(|d| match d {
                Definition::Fragment(f) => Some((f.name.as_str(), f)),
                Definition::Operation(_) => None,
            })
            .collect();
        let variables = variables
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        Walk {
            fragments,
            variables,
            root: root.unwrap_or(&EMPTY),
        }
    }

    /// The fields selected on an object of type `typename` (`None` when unknown: every fragment
    /// applies, as no possible-types map is known).
    pub fn fields(&self, set: &'d SelectionSet, typename: Option<&str>) -> Vec<&'d Field> {
        let mut out = Vec::new();
        self.collect(set, typename, &mut out);
        out
    }

    fn collect(&self, set: &'d SelectionSet, typename: Option<&str>, out: &mut Vec<&'d Field>) {
        for item in &set.items {
            match item {
                Selection::Field(field) => {
                    if self.included(&field.directives) {
                        out.push(field);
                    }
                }
                Selection::InlineFragment(inline) => {
                    let applies = match (&inline.type_condition, typename) {
                        (Some(on), Some(t)) => on == t,
                        _ => true,
                    };
                    if applies && self.included(&inline.directives) {
                        self.collect(&inline.selection_set, typename, out);
                    }
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = self.fragments.get(spread.fragment_name.as_str()) {
                        let applies = typename.is_none_or(|t| t == fragment.type_condition);
                        if applies && self.included(&spread.directives) {
                            self.collect(&fragment.selection_set, typename, out);
                        }
                    }
                }
            }
        }
    }

    fn included(&self, directives: &[Directive]) -> bool {
        directives.iter().all(|d| {
            let flag = d
                .arguments
                .iter()
                .find(|(n, _)| n == "if")
                .map(|(_, v)| self.value(v).as_bool().unwrap_or(false));
            !matches!(
                (d.name.as_str(), flag),
                ("skip", Some(true)) | ("include", Some(false))
            )
        })
    }

    /// A field's arguments with variables substituted (absent variables left out).
    pub fn arguments(&self, field: &Field) -> Map<String, Value> {
        field
            .arguments
            .iter()
            .filter(
                |(_, v)| !matches!(v, QValue::Variable(name) if !self.variables.contains_key(name)),
            )
            .map(|(name, v)| (name.clone(), self.value(v)))
            .collect()
    }

    fn value(&self, value: &QValue) -> Value {
        match value {
            QValue::Variable(name) => self.variables.get(name).cloned().unwrap_or(Value::Null),
            QValue::Int(n) => Value::from(*n),
            QValue::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            QValue::String(s) => Value::String(s.clone()),
            QValue::Boolean(b) => Value::Bool(*b),
            QValue::Null => Value::Null,
            QValue::Enum(e) => Value::String(e.clone()),
            QValue::List(items) => Value::Array(items.iter().map(|v| self.value(v)).collect()),
            QValue::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), self.value(v)))
                    .collect(),
            ),
        }
    }
}

/// The response key of a field (its alias, else its name).
pub(crate) fn response_key(field: &Field) -> &str {
    field.response_key()
}
