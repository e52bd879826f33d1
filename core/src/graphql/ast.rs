//! The tree of an executable GraphQL document (operations and fragments), as the parser builds
//! it and the cache walks it. Type-system definitions have no place here: a client sends
//! operations only.

use super::OperationKind;

/// A parsed document: its operations and fragments in source order.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub definitions: Vec<Definition>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Definition {
    Operation(OperationDefinition),
    Fragment(FragmentDefinition),
}

/// `query Name($v: T) @d { … }`, or the shorthand `{ … }` (a nameless query with no variables
/// and no directives).
#[derive(Debug, Clone, PartialEq)]
pub struct OperationDefinition {
    pub kind: OperationKind,
    pub name: Option<String>,
    pub variable_definitions: Vec<VariableDefinition>,
    pub directives: Vec<Directive>,
    pub selection_set: SelectionSet,
}

/// `$name: Type = default @directives`.
#[derive(Debug, Clone, PartialEq)]
pub struct VariableDefinition {
    pub name: String,
    pub var_type: Type,
    pub default_value: Option<Value>,
    pub directives: Vec<Directive>,
}

/// `fragment Name on Type @directives { … }`.
#[derive(Debug, Clone, PartialEq)]
pub struct FragmentDefinition {
    pub name: String,
    pub type_condition: String,
    pub directives: Vec<Directive>,
    pub selection_set: SelectionSet,
}

/// The items between `{` and `}` (empty for a leaf field).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SelectionSet {
    pub items: Vec<Selection>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    Field(Field),
    FragmentSpread(FragmentSpread),
    InlineFragment(InlineFragment),
}

/// `alias: name(arguments) @directives { … }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub alias: Option<String>,
    pub name: String,
    /// In source order.
    pub arguments: Vec<(String, Value)>,
    pub directives: Vec<Directive>,
    pub selection_set: SelectionSet,
}

impl Field {
    /// A field with no alias, arguments, directives or selections (`__typename`).
    pub fn leaf(name: &str) -> Field {
        Field {
            alias: None,
            name: name.to_owned(),
            arguments: Vec::new(),
            directives: Vec::new(),
            selection_set: SelectionSet::default(),
        }
    }

    /// The key of this field in a response: its alias, else its name.
    #[inline]
    pub fn response_key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }
}

/// `...Name @directives`.
#[derive(Debug, Clone, PartialEq)]
pub struct FragmentSpread {
    pub fragment_name: String,
    pub directives: Vec<Directive>,
}

/// `... on Type @directives { … }` (the type condition is optional).
#[derive(Debug, Clone, PartialEq)]
pub struct InlineFragment {
    pub type_condition: Option<String>,
    pub directives: Vec<Directive>,
    pub selection_set: SelectionSet,
}

/// `@name(arguments)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Directive {
    pub name: String,
    pub arguments: Vec<(String, Value)>,
}

/// A literal or variable in an argument, default value or directive.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Variable(String),
    Int(i64),
    /// Always finite: the parser rejects literals that overflow `f64`.
    Float(f64),
    String(String),
    Boolean(bool),
    Null,
    Enum(String),
    List(Vec<Value>),
    /// Fields in source order.
    Object(Vec<(String, Value)>),
}

/// A variable's type: `Name`, `[Type]`, `Type!`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    Named(String),
    List(Box<Type>),
    NonNull(Box<Type>),
}
