//! Walking an operation's selection sets: fields with fragments flattened, `@skip` / `@include`
//! applied, and arguments resolved against the variables.

use super::hash::FastMap;
use crate::graphql::ast::{
    Definition, Directive, Field, FragmentDefinition, Selection, SelectionSet, Value as QValue,
};
use crate::graphql::{Fragment, Operation};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// The fields of one selection set for one type, computed once per walk.
pub(crate) type FieldList<'d> = Rc<[&'d Field]>;

/// Per selection set: the field lists computed so far, by type name (`None`: type unknown).
type FieldsByType<'d> = FastMap<*const SelectionSet, Vec<(Option<Box<str>>, FieldList<'d>)>>;

/// What a walk over one operation needs. It remembers, per selection set and type, the fields
/// that apply, and per field its storage key: a list of 10,000 items computes each once.
pub(crate) struct Walk<'d> {
    fragments: HashMap<&'d str, &'d FragmentDefinition>,
    pub variables: Map<String, Value>,
    pub root: &'d SelectionSet,
    fields: RefCell<FieldsByType<'d>>,
    storage_keys: RefCell<FastMap<*const Field, Rc<str>>>,
    type_dependent: RefCell<FastMap<*const SelectionSet, bool>>,
}

impl<'d> Walk<'d> {
    #[cfg_attr(size_build, optimize(speed))]
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
    #[cfg_attr(size_build, optimize(speed))]
    pub fn fragment(fragment: &'d Fragment, variables: Option<&Value>) -> Walk<'d> {
        let definitions = &fragment.document().definitions;
        let root = definitions.iter().find_map(|d| match d {
            Definition::Fragment(f) if f.name == fragment.name() => Some(&f.selection_set),
            _ => None,
        });
        Walk::with_root(definitions, root, variables)
    }

    #[cfg_attr(size_build, optimize(speed))]
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
            fields: RefCell::default(),
            storage_keys: RefCell::default(),
            type_dependent: RefCell::default(),
        }
    }

    /// The fields selected on an object of type `typename` (`None` when unknown: every fragment
    /// applies, as no possible-types map is known).
    #[cfg_attr(size_build, optimize(speed))]
    pub fn fields(&self, set: &'d SelectionSet, typename: Option<&str>) -> FieldList<'d> {
        let id = set as *const SelectionSet;
        if let Some(known) = self.fields.borrow().get(&id).and_then(|by_type| {
            by_type
                .iter()
                .find(|(t, _)| t.as_deref() == typename)
                .map(|(_, list)| list.clone())
        }) {
            return known;
        }
        let mut out = Vec::new();
        self.collect(set, typename, &mut out);
        let list: FieldList<'d> = out.into();
        self.fields
            .borrow_mut()
            .entry(id)
            .or_default()
            .push((typename.map(Box::from), list.clone()));
        list
    }

    /// Whether the fields of `set` can depend on the object's type (it has fragments with type
    /// conditions): then they are known only once `__typename` is.
    #[cfg_attr(size_build, optimize(speed))]
    pub fn type_dependent(&self, set: &'d SelectionSet) -> bool {
        let id = set as *const SelectionSet;
        if let Some(known) = self.type_dependent.borrow().get(&id) {
            return *known;
        }
        #[cfg_attr(size_build, optimize(speed))]
        fn check(set: &SelectionSet) -> bool {
            set.items.iter().any(|item| match item {
                Selection::Field(_) => false,
                Selection::InlineFragment(inline) => {
                    inline.type_condition.is_some() || check(&inline.selection_set)
                }
                Selection::FragmentSpread(_) => true,
            })
        }
        let dependent = check(set);
        self.type_dependent.borrow_mut().insert(id, dependent);
        dependent
    }

    /// The key a field is stored under: its name, plus its arguments when it has any.
    #[cfg_attr(size_build, optimize(speed))]
    pub fn storage_key(&self, field: &'d Field) -> Rc<str> {
        let id = field as *const Field;
        if let Some(key) = self.storage_keys.borrow().get(&id) {
            return key.clone();
        }
        let key: Rc<str> = if field.arguments.is_empty() {
            Rc::from(field.name.as_str())
        } else {
            Rc::from(super::keys::field_key(&field.name, &self.arguments(field)))
        };
        self.storage_keys.borrow_mut().insert(id, key.clone());
        key
    }

    #[cfg_attr(size_build, optimize(speed))]
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

    #[cfg_attr(size_build, optimize(speed))]
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
    #[cfg_attr(size_build, optimize(speed))]
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

    #[cfg_attr(size_build, optimize(speed))]
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
