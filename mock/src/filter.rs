//! Model filter and condition evaluation: decides whether a stored item satisfies a
//! `Model<X>FilterInput`, `Model<X>ConditionInput` or `ModelSubscription<X>FilterInput` value, with
//! the semantics of the DynamoDB filter/condition expressions that AppSync's generated resolvers
//! build from them. It owns parsing and validating those inputs (errors carry the argument path)
//! and evaluating them; it does not know the model schema, so every non-logical key is a field.
//!
//! Semantic decisions, each chosen to match DynamoDB as AppSync drives it:
//! - A stored JSON `null` is a DynamoDB `NULL` attribute: it exists (`attributeExists: true`,
//!   `attributeType: _null`) but equals nothing except null.
//! - `ne` is true when the attribute is missing or of another type: DynamoDB's `a <> :v` is
//!   "not equal", and an unset attribute is never equal to anything (a condition `z <> :v`
//!   passes on an item without `z`; it is not SQL's unknown). Every other comparator
//!   (`eq`, `lt`, `le`, `gt`, `ge`, `between`, `beginsWith`, `contains`, `in`) is false on a
//!   missing attribute or a type mismatch, never an error.
//! - `notContains` and `notIn` are the negation of `contains` / `in` (AppSync emits
//!   `NOT contains(..)`), so they are true on a missing attribute.
//! - Operand types are checked up front, like DynamoDB's ValidationException for bad constants:
//!   ordering operators and `between` take strings or numbers only (booleans support just
//!   `eq`/`ne`), `between` bounds share one type and are ordered, `beginsWith` takes a string.
//! - `size` counts Unicode characters of a string, elements of a list and keys of an object. A
//!   value without a size (number, boolean, null, missing) compares like a missing attribute:
//!   only `ne` holds.
//! - Anything that carries no constraint (a null operand in Query mode, a null or empty operator
//!   object, an empty or null `and`/`or`, `not` of such) is dropped, as the VTL util leaves empty
//!   expressions out. Hence an empty `or: []` matches everything, and `or: [{}, x]` means `x`.

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

/// An error in the filter itself (bad operator, wrong operand type): becomes a GraphQL
/// validation-style error upstream.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct FilterError {
    /// Where in the argument the problem is, e.g. `filter.name.between` or `filter.and[1].id.eq`.
    pub path: String,
    pub message: String,
}

impl FilterError {
    fn new(path: &str, message: impl Into<String>) -> Self {
        Self {
            path: path.to_owned(),
            message: message.into(),
        }
    }

    /// Renames the first path segment, so a `condition` argument reports `condition.name.eq`.
    #[must_use]
    pub fn with_root(mut self, root: &str) -> Self {
        let rest = self.path.find(['.', '[']).map_or("", |at| &self.path[at..]);
        self.path = format!("{root}{rest}");
        self
    }
}

/// How operands that are JSON `null` are read: the two AppSync code paths disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FilterMode {
    /// list/sync filters and mutation conditions: the VTL util drops a null operand, so it
    /// constrains nothing.
    #[default]
    Query,
    /// subscription filters: `eq: null` means "field is null or absent", `ne: null` means
    /// "field is present and not null"; other null operands constrain nothing.
    Subscription,
}

/// Nesting limit for `and`/`or`/`not`, so a hostile filter cannot exhaust the stack.
pub const MAX_DEPTH: usize = 64;

const ROOT: &str = "filter";

const OPERATORS: &str = "eq, ne, le, lt, ge, gt, between, contains, notContains, beginsWith, \
                         attributeExists, attributeType, size, in, notIn";
const SIZE_OPERATORS: &str = "eq, ne, le, lt, ge, gt, between";
const ATTRIBUTE_TYPES: [&str; 10] = [
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
];

/// Does `item` satisfy `filter` (a `Model<X>FilterInput` / `ConditionInput` /
/// `ModelSubscription<X>FilterInput` value)? `null` or an empty object matches everything.
/// Reads null operands the [`FilterMode::Query`] way.
///
/// # Errors
/// A [`FilterError`] when the filter is malformed, whatever the item.
pub fn matches(filter: &Value, item: &Value) -> Result<bool, FilterError> {
    matches_with(filter, item, FilterMode::Query)
}

/// [`matches`] with an explicit reading of null operands.
///
/// # Errors
/// A [`FilterError`] when the filter is malformed, whatever the item.
pub fn matches_with(filter: &Value, item: &Value, mode: FilterMode) -> Result<bool, FilterError> {
    Ok(Filter::parse(filter, mode)?.matches(item))
}

/// Validates a filter without an item (used to reject bad filters before touching data).
///
/// # Errors
/// The first problem found, with its path.
pub fn validate(filter: &Value) -> Result<(), FilterError> {
    Filter::parse(filter, FilterMode::Query).map(|_| ())
}

/// A parsed, validated filter: parse once per request or subscription, then test many items.
#[derive(Debug, Clone)]
pub struct Filter {
    root: Option<Node>,
}

impl Filter {
    /// Checks every operator and operand of `filter` and builds its evaluator.
    ///
    /// # Errors
    /// The first problem found, with its path (rooted at `filter`).
    pub fn parse(filter: &Value, mode: FilterMode) -> Result<Self, FilterError> {
        let root = Parser { mode }.filter(filter, ROOT, 1)?;
        Ok(Self { root })
    }

    /// True when the filter constrains nothing, so callers can skip evaluation entirely.
    #[must_use]
    pub fn is_unconstrained(&self) -> bool {
        self.root.is_none()
    }

    /// Evaluation cannot fail: every operand was checked by [`Filter::parse`]. An item that is
    /// not an object has no attributes.
    #[must_use]
    pub fn matches(&self, item: &Value) -> bool {
        self.root
            .as_ref()
            .is_none_or(|node| node.eval(item.as_object()))
    }
}

#[derive(Debug, Clone)]
enum Node {
    All(Vec<Node>),
    Any(Vec<Node>),
    Not(Box<Node>),
    Test { field: String, test: Test },
}

#[derive(Debug, Clone)]
enum Test {
    Eq(Scalar),
    Ne(Scalar),
    IsNullOrMissing,
    IsPresentNonNull,
    Compare(Comparator, Ordered),
    Between(Ordered, Ordered),
    Contains(Scalar),
    NotContains(Scalar),
    BeginsWith(String),
    Exists(bool),
    Type(&'static str),
    Size(Comparator, Number),
    SizeBetween(Number, Number),
    In(Membership),
    NotIn(Membership),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparator {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Comparator {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "eq" => Self::Eq,
            "ne" => Self::Ne,
            "lt" => Self::Lt,
            "le" => Self::Le,
            "gt" => Self::Gt,
            "ge" => Self::Ge,
            _ => return None,
        })
    }

    fn holds(self, ordering: Ordering) -> bool {
        match self {
            Self::Eq => ordering == Ordering::Equal,
            Self::Ne => ordering != Ordering::Equal,
            Self::Lt => ordering == Ordering::Less,
            Self::Le => ordering != Ordering::Greater,
            Self::Gt => ordering == Ordering::Greater,
            Self::Ge => ordering != Ordering::Less,
        }
    }
}

/// An equality operand. Lists and objects are refused at parse time: no Model*Input allows them,
/// and keeping operands flat keeps evaluation free of recursion.
#[derive(Debug, Clone)]
enum Scalar {
    Str(String),
    Num(Number),
    Bool(bool),
}

impl Scalar {
    fn equals(&self, value: &Value) -> bool {
        match (self, value) {
            (Self::Str(a), Value::String(b)) => a == b,
            (Self::Num(a), Value::Number(b)) => compare_numbers(b, a) == Some(Ordering::Equal),
            (Self::Bool(a), Value::Bool(b)) => a == b,
            _ => false,
        }
    }
}

/// An operand of an ordering operator: DynamoDB orders only strings, numbers and binaries.
#[derive(Debug, Clone)]
enum Ordered {
    Str(String),
    Num(Number),
}

impl Ordered {
    /// How `value` orders against this operand; `None` when the types differ.
    fn order_of(&self, value: &Value) -> Option<Ordering> {
        match (value, self) {
            // Rust orders `str` by UTF-8 bytes, which is DynamoDB's string order.
            (Value::String(v), Self::Str(o)) => Some(v.as_str().cmp(o.as_str())),
            (Value::Number(v), Self::Num(o)) => compare_numbers(v, o),
            _ => None,
        }
    }

    fn order_against(&self, other: &Self) -> Option<Ordering> {
        match (self, other) {
            (Self::Str(a), Self::Str(b)) => Some(a.cmp(b)),
            (Self::Num(a), Self::Num(b)) => compare_numbers(a, b),
            _ => None,
        }
    }
}

/// What a null element of `in`/`notIn` matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NullMatch {
    Nothing,
    /// DynamoDB `IN` compares a NULL operand with NULL attributes only.
    StoredNull,
    /// Subscription reading of null: null or absent.
    NullOrMissing,
}

#[derive(Debug, Clone)]
struct Membership {
    values: Vec<Scalar>,
    null: NullMatch,
}

impl Membership {
    fn contains(&self, attribute: Option<&Value>) -> bool {
        match attribute {
            None => self.null == NullMatch::NullOrMissing,
            Some(Value::Null) => self.null != NullMatch::Nothing,
            Some(value) => self.values.iter().any(|s| s.equals(value)),
        }
    }
}

impl Node {
    fn eval(&self, item: Option<&Map<String, Value>>) -> bool {
        match self {
            Self::All(nodes) => nodes.iter().all(|n| n.eval(item)),
            Self::Any(nodes) => nodes.iter().any(|n| n.eval(item)),
            Self::Not(node) => !node.eval(item),
            Self::Test { field, test } => test.eval(item.and_then(|i| i.get(field))),
        }
    }
}

impl Test {
    /// `attribute` is `None` when the item has no such attribute.
    fn eval(&self, attribute: Option<&Value>) -> bool {
        match self {
            Self::Eq(s) => attribute.is_some_and(|v| s.equals(v)),
            Self::Ne(s) => !attribute.is_some_and(|v| s.equals(v)),
            Self::IsNullOrMissing => attribute.is_none_or(Value::is_null),
            Self::IsPresentNonNull => attribute.is_some_and(|v| !v.is_null()),
            Self::Compare(c, o) => attribute
                .and_then(|v| o.order_of(v))
                .is_some_and(|ord| c.holds(ord)),
            Self::Between(lo, hi) => attribute.is_some_and(|v| {
                lo.order_of(v).is_some_and(|o| o != Ordering::Less)
                    && hi.order_of(v).is_some_and(|o| o != Ordering::Greater)
            }),
            Self::Contains(s) => contains(attribute, s),
            Self::NotContains(s) => !contains(attribute, s),
            Self::BeginsWith(prefix) => {
                matches!(attribute, Some(Value::String(v)) if v.starts_with(prefix.as_str()))
            }
            Self::Exists(expected) => attribute.is_some() == *expected,
            Self::Type(name) => attribute.is_some_and(|v| attribute_type(v) == *name),
            Self::Size(c, n) => match size_of(attribute) {
                Some(size) => compare_numbers(&size, n).is_some_and(|o| c.holds(o)),
                None => *c == Comparator::Ne,
            },
            Self::SizeBetween(lo, hi) => size_of(attribute).is_some_and(|size| {
                compare_numbers(&size, lo).is_some_and(|o| o != Ordering::Less)
                    && compare_numbers(&size, hi).is_some_and(|o| o != Ordering::Greater)
            }),
            Self::In(m) => m.contains(attribute),
            Self::NotIn(m) => !m.contains(attribute),
        }
    }
}

/// DynamoDB `contains`: substring for strings, membership for lists; false for anything else,
/// including a missing attribute.
fn contains(attribute: Option<&Value>, needle: &Scalar) -> bool {
    match (attribute, needle) {
        (Some(Value::String(haystack)), Scalar::Str(n)) => haystack.contains(n.as_str()),
        (Some(Value::Array(elements)), _) => elements.iter().any(|e| needle.equals(e)),
        _ => false,
    }
}

/// AppSync writes GraphQL lists as DynamoDB `L` and never as sets, and JSON has no binary, so
/// the set and binary types never match a stored JSON value.
fn attribute_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "_null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "map",
    }
}

fn size_of(attribute: Option<&Value>) -> Option<Number> {
    let size = match attribute? {
        Value::String(s) => s.chars().count(),
        Value::Array(a) => a.len(),
        Value::Object(o) => o.len(),
        _ => return None,
    };
    Some(Number::from(u64::try_from(size).ok()?))
}

/// Integers compare exactly (a plain f64 round trip would merge neighbours above 2^53); mixed
/// or fractional values compare as floats, which is how Int and Float fields meet.
fn compare_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    fn as_integer(n: &Number) -> Option<i128> {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    }
    match (as_integer(a), as_integer(b)) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn child(path: &str, key: &str) -> String {
    format!("{path}.{key}")
}

/// One sub-filter per node; several collapse into `All`, none into "no constraint".
fn all_of(mut nodes: Vec<Node>) -> Option<Node> {
    match nodes.len() {
        0 => None,
        1 => nodes.pop(),
        _ => Some(Node::All(nodes)),
    }
}

#[derive(Debug)]
struct Parser {
    mode: FilterMode,
}

impl Parser {
    /// `Ok(None)` means the value constrains nothing.
    fn filter(&self, value: &Value, path: &str, depth: usize) -> Result<Option<Node>, FilterError> {
        if depth > MAX_DEPTH {
            return Err(FilterError::new(
                path,
                format!("filter is nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        let object = match value {
            Value::Null => return Ok(None),
            Value::Object(object) => object,
            other => {
                return Err(FilterError::new(
                    path,
                    format!("expected a filter object, got {}", kind(other)),
                ));
            }
        };
        let mut nodes = Vec::new();
        for (key, value) in object {
            let path = child(path, key);
            let node = match key.as_str() {
                "and" => self.list(value, &path, depth)?.map(Node::All),
                "or" => self.list(value, &path, depth)?.map(Node::Any),
                "not" => {
                    if !matches!(value, Value::Null | Value::Object(_)) {
                        return Err(FilterError::new(
                            &path,
                            format!("not expects a filter object, got {}", kind(value)),
                        ));
                    }
                    self.filter(value, &path, depth + 1)?
                        .map(|node| Node::Not(Box::new(node)))
                }
                field => self.field(field, value, &path)?,
            };
            nodes.extend(node);
        }
        Ok(all_of(nodes))
    }

    /// The constraining members of an `and`/`or` list, or `None` when there are none.
    fn list(
        &self,
        value: &Value,
        path: &str,
        depth: usize,
    ) -> Result<Option<Vec<Node>>, FilterError> {
        let elements = match value {
            Value::Null => return Ok(None),
            Value::Array(elements) => elements,
            other => {
                return Err(FilterError::new(
                    path,
                    format!("expected a list of filters, got {}", kind(other)),
                ));
            }
        };
        let mut nodes = Vec::with_capacity(elements.len());
        for (index, element) in elements.iter().enumerate() {
            let path = format!("{path}[{index}]");
            nodes.extend(self.filter(element, &path, depth + 1)?);
        }
        Ok(if nodes.is_empty() { None } else { Some(nodes) })
    }

    fn field(&self, name: &str, value: &Value, path: &str) -> Result<Option<Node>, FilterError> {
        let operators = match value {
            Value::Null => return Ok(None),
            Value::Object(operators) => operators,
            other => {
                return Err(FilterError::new(
                    path,
                    format!(
                        "expected an operator object for field {name}, got {}",
                        kind(other)
                    ),
                ));
            }
        };
        let mut tests = Vec::new();
        for (operator, operand) in operators {
            self.operator(operator, operand, &child(path, operator), &mut tests)?;
        }
        Ok(all_of(
            tests
                .into_iter()
                .map(|test| Node::Test {
                    field: name.to_owned(),
                    test,
                })
                .collect(),
        ))
    }

    fn operator(
        &self,
        operator: &str,
        operand: &Value,
        path: &str,
        out: &mut Vec<Test>,
    ) -> Result<(), FilterError> {
        if !is_known_operator(operator) {
            return Err(unknown_operator(path, operator, OPERATORS));
        }
        if operand.is_null() {
            // Only the Subscription reading gives null a meaning, and only for eq/ne.
            match (self.mode, operator) {
                (FilterMode::Subscription, "eq") => out.push(Test::IsNullOrMissing),
                (FilterMode::Subscription, "ne") => out.push(Test::IsPresentNonNull),
                _ => {}
            }
            return Ok(());
        }
        let test = match operator {
            "eq" => Test::Eq(scalar(operand, path)?),
            "ne" => Test::Ne(scalar(operand, path)?),
            "lt" | "le" | "gt" | "ge" => match Comparator::from_name(operator) {
                Some(c) => Test::Compare(c, ordered(operand, path, operator)?),
                None => return Err(unknown_operator(path, operator, OPERATORS)),
            },
            "between" => {
                let (lo, hi) = between(operand, path)?;
                Test::Between(lo, hi)
            }
            "contains" => Test::Contains(scalar(operand, path)?),
            "notContains" => Test::NotContains(scalar(operand, path)?),
            "beginsWith" => match operand {
                Value::String(prefix) => Test::BeginsWith(prefix.clone()),
                other => {
                    return Err(FilterError::new(
                        path,
                        format!("beginsWith expects a string, got {}", kind(other)),
                    ));
                }
            },
            "attributeExists" => match operand {
                Value::Bool(expected) => Test::Exists(*expected),
                other => {
                    return Err(FilterError::new(
                        path,
                        format!("attributeExists expects a boolean, got {}", kind(other)),
                    ));
                }
            },
            "attributeType" => Test::Type(attribute_type_name(operand, path)?),
            "size" => return size(operand, path, out),
            "in" => Test::In(self.membership(operand, path, operator)?),
            "notIn" => Test::NotIn(self.membership(operand, path, operator)?),
            _ => return Err(unknown_operator(path, operator, OPERATORS)),
        };
        out.push(test);
        Ok(())
    }

    fn membership(
        &self,
        operand: &Value,
        path: &str,
        operator: &str,
    ) -> Result<Membership, FilterError> {
        let Value::Array(elements) = operand else {
            return Err(FilterError::new(
                path,
                format!("{operator} expects a list, got {}", kind(operand)),
            ));
        };
        let mut values = Vec::with_capacity(elements.len());
        let mut null = NullMatch::Nothing;
        for (index, element) in elements.iter().enumerate() {
            if element.is_null() {
                null = match self.mode {
                    FilterMode::Query => NullMatch::StoredNull,
                    FilterMode::Subscription => NullMatch::NullOrMissing,
                };
            } else {
                values.push(scalar(element, &format!("{path}[{index}]"))?);
            }
        }
        Ok(Membership { values, null })
    }
}

fn is_known_operator(operator: &str) -> bool {
    matches!(
        operator,
        "eq" | "ne"
            | "lt"
            | "le"
            | "gt"
            | "ge"
            | "between"
            | "contains"
            | "notContains"
            | "beginsWith"
            | "attributeExists"
            | "attributeType"
            | "size"
            | "in"
            | "notIn"
    )
}

fn unknown_operator(path: &str, operator: &str, expected: &str) -> FilterError {
    FilterError::new(
        path,
        format!("unknown operator \"{operator}\" (expected one of {expected})"),
    )
}

fn scalar(value: &Value, path: &str) -> Result<Scalar, FilterError> {
    match value {
        Value::String(s) => Ok(Scalar::Str(s.clone())),
        Value::Number(n) => Ok(Scalar::Num(n.clone())),
        Value::Bool(b) => Ok(Scalar::Bool(*b)),
        other => Err(FilterError::new(
            path,
            format!("expected a string, number or boolean, got {}", kind(other)),
        )),
    }
}

fn ordered(value: &Value, path: &str, operator: &str) -> Result<Ordered, FilterError> {
    match value {
        Value::String(s) => Ok(Ordered::Str(s.clone())),
        Value::Number(n) => Ok(Ordered::Num(n.clone())),
        other => Err(FilterError::new(
            path,
            format!(
                "{operator} expects a string or number, got {} (booleans support only eq and ne)",
                kind(other)
            ),
        )),
    }
}

fn two_bounds<'a>(value: &'a Value, path: &str) -> Result<(&'a Value, &'a Value), FilterError> {
    match value {
        Value::Array(bounds) => match bounds.as_slice() {
            [lo, hi] => Ok((lo, hi)),
            _ => Err(FilterError::new(
                path,
                format!("between expects exactly 2 bounds, got {}", bounds.len()),
            )),
        },
        other => Err(FilterError::new(
            path,
            format!("between expects a list of 2 bounds, got {}", kind(other)),
        )),
    }
}

/// DynamoDB rejects constant bounds of different types or in the wrong order with a
/// ValidationException rather than failing the condition, so these are errors here too.
fn between(value: &Value, path: &str) -> Result<(Ordered, Ordered), FilterError> {
    let (lo, hi) = two_bounds(value, path)?;
    let lo = ordered(lo, &format!("{path}[0]"), "between")?;
    let hi = ordered(hi, &format!("{path}[1]"), "between")?;
    match lo.order_against(&hi) {
        None => Err(FilterError::new(
            path,
            "between bounds must both be strings or both be numbers",
        )),
        Some(Ordering::Greater) => Err(FilterError::new(
            path,
            "between lower bound is greater than its upper bound",
        )),
        Some(_) => Ok((lo, hi)),
    }
}

fn attribute_type_name(value: &Value, path: &str) -> Result<&'static str, FilterError> {
    let found = value
        .as_str()
        .and_then(|name| ATTRIBUTE_TYPES.iter().find(|known| **known == name));
    match found {
        Some(name) => Ok(name),
        None => Err(FilterError::new(
            path,
            format!(
                "attributeType must be one of {}, got {value}",
                ATTRIBUTE_TYPES.join(", ")
            ),
        )),
    }
}

fn size(value: &Value, path: &str, out: &mut Vec<Test>) -> Result<(), FilterError> {
    let Value::Object(operators) = value else {
        return Err(FilterError::new(
            path,
            format!("size expects an operator object, got {}", kind(value)),
        ));
    };
    for (operator, operand) in operators {
        let path = child(path, operator);
        let comparator = Comparator::from_name(operator);
        if comparator.is_none() && operator != "between" {
            return Err(unknown_operator(&path, operator, SIZE_OPERATORS));
        }
        if operand.is_null() {
            continue;
        }
        let test = match comparator {
            Some(c) => Test::Size(c, size_operand(operand, &path, operator)?),
            None => {
                let (lo, hi) = two_bounds(operand, &path)?;
                let lo = size_operand(lo, &format!("{path}[0]"), "between")?;
                let hi = size_operand(hi, &format!("{path}[1]"), "between")?;
                if compare_numbers(&lo, &hi) == Some(Ordering::Greater) {
                    return Err(FilterError::new(
                        &path,
                        "between lower bound is greater than its upper bound",
                    ));
                }
                Test::SizeBetween(lo, hi)
            }
        };
        out.push(test);
    }
    Ok(())
}

fn size_operand(value: &Value, path: &str, operator: &str) -> Result<Number, FilterError> {
    match value {
        Value::Number(n) => Ok(n.clone()),
        other => Err(FilterError::new(
            path,
            format!("size {operator} expects a number, got {}", kind(other)),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(filter: Value, item: &Value) -> bool {
        check_in(FilterMode::Query, filter, item)
    }

    fn check_in(mode: FilterMode, filter: Value, item: &Value) -> bool {
        match matches_with(&filter, item, mode) {
            Ok(result) => result,
            Err(error) => panic!(
                "unexpected filter error at {}: {}",
                error.path, error.message
            ),
        }
    }

    fn rejection(filter: Value) -> FilterError {
        match validate(&filter) {
            Err(error) => error,
            Ok(()) => panic!("filter should have been rejected: {filter}"),
        }
    }

    fn todo() -> Value {
        json!({
            "id": "todo-1",
            "name": "Buy milk",
            "description": null,
            "priority": 3,
            "score": 2.5,
            "done": false,
            "tags": ["home", "urgent", 7],
            "meta": {"a": 1, "b": 2},
        })
    }

    /// A filter on field `name` of `todo()` with one operator.
    fn on(field: &str, operator: &str, operand: Value) -> Value {
        json!({ field: { operator: operand } })
    }

    #[test]
    fn null_and_empty_filters_match_everything() {
        assert!(check(Value::Null, &todo()));
        assert!(check(json!({}), &todo()));
        assert!(check(json!({"name": {}}), &todo()));
        assert!(check(json!({"name": null}), &todo()));
    }

    #[test]
    fn string_eq_and_ne() {
        assert!(check(on("name", "eq", json!("Buy milk")), &todo()));
        assert!(!check(on("name", "eq", json!("buy milk")), &todo()));
        assert!(check(on("name", "ne", json!("Sell milk")), &todo()));
        assert!(!check(on("name", "ne", json!("Buy milk")), &todo()));
    }

    #[test]
    fn string_ordering_is_by_bytes() {
        let item = json!({"name": "apple"});
        assert!(check(on("name", "lt", json!("banana")), &item));
        assert!(!check(on("name", "lt", json!("apple")), &item));
        assert!(check(on("name", "le", json!("apple")), &item));
        assert!(!check(on("name", "le", json!("Apple")), &item));
        assert!(
            check(on("name", "gt", json!("Zebra")), &item),
            "lowercase sorts after uppercase"
        );
        assert!(!check(on("name", "gt", json!("apple")), &item));
        assert!(check(on("name", "ge", json!("apple")), &item));
        assert!(!check(on("name", "ge", json!("apples")), &item));
    }

    #[test]
    fn non_ascii_strings_order_by_utf8_bytes() {
        let item = json!({"name": "é"});
        assert!(check(on("name", "gt", json!("z")), &item));
    }

    #[test]
    fn int_comparators() {
        let item = todo();
        assert!(check(on("priority", "eq", json!(3)), &item));
        assert!(!check(on("priority", "eq", json!(4)), &item));
        assert!(check(on("priority", "ne", json!(4)), &item));
        assert!(!check(on("priority", "ne", json!(3)), &item));
        assert!(check(on("priority", "lt", json!(4)), &item));
        assert!(!check(on("priority", "lt", json!(3)), &item));
        assert!(check(on("priority", "le", json!(3)), &item));
        assert!(!check(on("priority", "le", json!(2)), &item));
        assert!(check(on("priority", "gt", json!(-1)), &item));
        assert!(!check(on("priority", "gt", json!(3)), &item));
        assert!(check(on("priority", "ge", json!(3)), &item));
        assert!(!check(on("priority", "ge", json!(4)), &item));
    }

    #[test]
    fn float_comparators() {
        let item = todo();
        assert!(check(on("score", "eq", json!(2.5)), &item));
        assert!(!check(on("score", "eq", json!(2.4)), &item));
        assert!(check(on("score", "ne", json!(2.4)), &item));
        assert!(!check(on("score", "ne", json!(2.5)), &item));
        assert!(check(on("score", "lt", json!(2.6)), &item));
        assert!(!check(on("score", "lt", json!(2.5)), &item));
        assert!(check(on("score", "le", json!(2.5)), &item));
        assert!(!check(on("score", "le", json!(2.49)), &item));
        assert!(check(on("score", "gt", json!(2.49)), &item));
        assert!(!check(on("score", "gt", json!(2.5)), &item));
        assert!(check(on("score", "ge", json!(2.5)), &item));
        assert!(!check(on("score", "ge", json!(2.51)), &item));
    }

    #[test]
    fn ints_and_floats_compare_numerically() {
        let item = todo();
        assert!(check(on("priority", "eq", json!(3.0)), &item));
        assert!(check(on("priority", "lt", json!(3.5)), &item));
        assert!(check(on("score", "gt", json!(2)), &item));
        assert!(!check(on("score", "eq", json!(2)), &item));
    }

    #[test]
    fn large_integers_compare_exactly() {
        let item = json!({"n": 9_007_199_254_740_993_i64});
        assert!(!check(
            on("n", "eq", json!(9_007_199_254_740_992_i64)),
            &item
        ));
        assert!(check(
            on("n", "gt", json!(9_007_199_254_740_992_i64)),
            &item
        ));
        assert!(check(on("n", "lt", json!(u64::MAX)), &item));
        assert!(check(on("n", "gt", json!(-1)), &item));
    }

    #[test]
    fn boolean_eq_and_ne() {
        let item = todo();
        assert!(check(on("done", "eq", json!(false)), &item));
        assert!(!check(on("done", "eq", json!(true)), &item));
        assert!(check(on("done", "ne", json!(true)), &item));
        assert!(!check(on("done", "ne", json!(false)), &item));
    }

    #[test]
    fn booleans_are_rejected_by_ordering_operators() {
        for operator in ["lt", "le", "gt", "ge"] {
            let error = rejection(on("done", operator, json!(true)));
            assert_eq!(error.path, format!("filter.done.{operator}"));
        }
        assert_eq!(
            rejection(on("done", "between", json!([false, true]))).path,
            "filter.done.between[0]"
        );
    }

    #[test]
    fn id_operators_treat_ids_as_strings() {
        let item = todo();
        assert!(check(on("id", "eq", json!("todo-1")), &item));
        assert!(!check(on("id", "eq", json!("todo-2")), &item));
        assert!(check(on("id", "ne", json!("todo-2")), &item));
        assert!(check(on("id", "beginsWith", json!("todo-")), &item));
        assert!(!check(on("id", "beginsWith", json!("post-")), &item));
        assert!(check(on("id", "contains", json!("do-")), &item));
        assert!(check(
            on("id", "between", json!(["todo-0", "todo-1"])),
            &item
        ));
        assert!(!check(on("id", "gt", json!("todo-1")), &item));
    }

    #[test]
    fn type_mismatch_fails_every_comparator_but_ne() {
        let item = json!({"priority": 3, "name": "3"});
        assert!(!check(on("priority", "eq", json!("3")), &item));
        assert!(!check(on("name", "eq", json!(3)), &item));
        assert!(!check(on("priority", "lt", json!("4")), &item));
        assert!(!check(on("name", "ge", json!(0)), &item));
        assert!(!check(on("priority", "between", json!(["0", "9"])), &item));
        assert!(
            check(on("priority", "ne", json!("3")), &item),
            "DynamoDB <> is true across types"
        );
        assert!(!check(
            on("priority", "eq", json!(true)),
            &json!({"priority": 1})
        ));
    }

    #[test]
    fn between_includes_both_bounds() {
        let item = todo();
        assert!(check(on("priority", "between", json!([3, 5])), &item));
        assert!(check(on("priority", "between", json!([1, 3])), &item));
        assert!(check(on("priority", "between", json!([3, 3])), &item));
        assert!(!check(on("priority", "between", json!([4, 9])), &item));
        assert!(!check(on("priority", "between", json!([0, 2])), &item));
        assert!(check(on("score", "between", json!([2, 2.5])), &item));
        assert!(check(
            on("name", "between", json!(["Buy", "Buy milk"])),
            &item
        ));
        assert!(!check(on("name", "between", json!(["C", "D"])), &item));
    }

    #[test]
    fn between_needs_exactly_two_bounds() {
        for bounds in [
            json!([]),
            json!([1]),
            json!([1, 2, 3]),
            json!(5),
            json!({"lo": 1}),
        ] {
            let error = rejection(on("priority", "between", bounds));
            assert_eq!(error.path, "filter.priority.between");
        }
    }

    #[test]
    fn between_rejects_reversed_or_mixed_bounds() {
        let reversed = rejection(on("priority", "between", json!([5, 1])));
        assert!(reversed.message.contains("greater"), "{}", reversed.message);
        let mixed = rejection(on("priority", "between", json!([1, "9"])));
        assert!(mixed.message.contains("both"), "{}", mixed.message);
        let null_bound = rejection(on("priority", "between", json!([null, 9])));
        assert_eq!(null_bound.path, "filter.priority.between[0]");
    }

    #[test]
    fn contains_is_substring_on_strings() {
        let item = todo();
        assert!(check(on("name", "contains", json!("y mi")), &item));
        assert!(!check(on("name", "contains", json!("MILK")), &item));
        assert!(!check(
            on("name", "contains", json!(3)),
            &json!({"name": "a3"})
        ));
    }

    #[test]
    fn contains_is_membership_on_lists() {
        let item = todo();
        assert!(check(on("tags", "contains", json!("urgent")), &item));
        assert!(
            !check(on("tags", "contains", json!("urg")), &item),
            "no substring inside elements"
        );
        assert!(check(on("tags", "contains", json!(7)), &item));
        assert!(check(on("tags", "contains", json!(7.0)), &item));
        assert!(!check(on("tags", "contains", json!("7")), &item));
    }

    #[test]
    fn contains_on_numbers_and_maps_is_false() {
        let item = todo();
        assert!(!check(on("priority", "contains", json!(3)), &item));
        assert!(!check(on("meta", "contains", json!("a")), &item));
    }

    #[test]
    fn not_contains_negates_contains() {
        let item = todo();
        assert!(check(on("name", "notContains", json!("bread")), &item));
        assert!(!check(on("name", "notContains", json!("milk")), &item));
        assert!(check(on("tags", "notContains", json!("work")), &item));
        assert!(!check(on("tags", "notContains", json!("home")), &item));
    }

    #[test]
    fn begins_with_matches_string_prefixes_only() {
        let item = todo();
        assert!(check(on("name", "beginsWith", json!("Buy")), &item));
        assert!(check(on("name", "beginsWith", json!("")), &item));
        assert!(!check(on("name", "beginsWith", json!("milk")), &item));
        assert!(!check(on("tags", "beginsWith", json!("home")), &item));
        assert!(!check(on("priority", "beginsWith", json!("3")), &item));
    }

    #[test]
    fn begins_with_rejects_non_string_operands() {
        let error = rejection(on("name", "beginsWith", json!(3)));
        assert_eq!(error.path, "filter.name.beginsWith");
    }

    #[test]
    fn attribute_exists_sees_null_values_as_present() {
        let item = todo();
        assert!(check(on("name", "attributeExists", json!(true)), &item));
        assert!(!check(on("name", "attributeExists", json!(false)), &item));
        assert!(check(on("missing", "attributeExists", json!(false)), &item));
        assert!(!check(on("missing", "attributeExists", json!(true)), &item));
        assert!(check(
            on("description", "attributeExists", json!(true)),
            &item
        ));
        assert_eq!(
            rejection(on("name", "attributeExists", json!("yes"))).path,
            "filter.name.attributeExists"
        );
    }

    #[test]
    fn attribute_type_matches_each_json_kind() {
        let item = todo();
        let cases = [
            ("name", "string"),
            ("priority", "number"),
            ("score", "number"),
            ("done", "bool"),
            ("description", "_null"),
            ("tags", "list"),
            ("meta", "map"),
        ];
        for (field, kind) in cases {
            assert!(
                check(on(field, "attributeType", json!(kind)), &item),
                "{field} is {kind}"
            );
            for other in ATTRIBUTE_TYPES.iter().filter(|t| **t != kind) {
                assert!(
                    !check(on(field, "attributeType", json!(other)), &item),
                    "{field} is not {other}"
                );
            }
        }
        assert!(!check(
            on("missing", "attributeType", json!("_null")),
            &item
        ));
    }

    #[test]
    fn attribute_type_rejects_unknown_names() {
        assert_eq!(
            rejection(on("name", "attributeType", json!("S"))).path,
            "filter.name.attributeType"
        );
        assert_eq!(
            rejection(on("name", "attributeType", json!(1))).path,
            "filter.name.attributeType"
        );
    }

    #[test]
    fn size_of_string_with_each_comparator() {
        let item = json!({"name": "hello"});
        let size = |operator: &str, operand: Value| json!({"name": {"size": {operator: operand}}});
        assert!(check(size("eq", json!(5)), &item));
        assert!(!check(size("eq", json!(4)), &item));
        assert!(check(size("ne", json!(4)), &item));
        assert!(!check(size("ne", json!(5)), &item));
        assert!(check(size("lt", json!(6)), &item));
        assert!(!check(size("lt", json!(5)), &item));
        assert!(check(size("le", json!(5)), &item));
        assert!(!check(size("le", json!(4)), &item));
        assert!(check(size("gt", json!(4)), &item));
        assert!(!check(size("gt", json!(5)), &item));
        assert!(check(size("ge", json!(5)), &item));
        assert!(!check(size("ge", json!(6)), &item));
        assert!(check(size("between", json!([5, 9])), &item));
        assert!(check(size("between", json!([1, 5])), &item));
        assert!(!check(size("between", json!([6, 9])), &item));
    }

    #[test]
    fn size_counts_characters_not_bytes() {
        let item = json!({"name": "héllo✓"});
        assert!(check(json!({"name": {"size": {"eq": 6}}}), &item));
    }

    #[test]
    fn size_of_lists_and_maps() {
        let item = todo();
        assert!(check(json!({"tags": {"size": {"eq": 3}}}), &item));
        assert!(check(json!({"tags": {"size": {"gt": 2, "lt": 4}}}), &item));
        assert!(!check(json!({"tags": {"size": {"ge": 4}}}), &item));
        assert!(check(json!({"meta": {"size": {"eq": 2}}}), &item));
        assert!(check(
            json!({"tags": {"size": {"eq": 0}}}),
            &json!({"tags": []})
        ));
    }

    #[test]
    fn size_of_unsized_or_missing_values_only_satisfies_ne() {
        let item = todo();
        for field in ["priority", "done", "description", "missing"] {
            assert!(
                !check(json!({field: {"size": {"eq": 1}}}), &item),
                "{field}"
            );
            assert!(
                !check(json!({field: {"size": {"ge": 0}}}), &item),
                "{field}"
            );
            assert!(
                !check(json!({field: {"size": {"between": [0, 9]}}}), &item),
                "{field}"
            );
            assert!(check(json!({field: {"size": {"ne": 1}}}), &item), "{field}");
        }
    }

    #[test]
    fn size_rejects_bad_operators_and_operands() {
        assert_eq!(
            rejection(json!({"name": {"size": {"contains": 1}}})).path,
            "filter.name.size.contains"
        );
        assert_eq!(
            rejection(json!({"name": {"size": {"eq": "5"}}})).path,
            "filter.name.size.eq"
        );
        assert_eq!(
            rejection(json!({"name": {"size": 5}})).path,
            "filter.name.size"
        );
        assert_eq!(
            rejection(json!({"name": {"size": {"between": [3, 1]}}})).path,
            "filter.name.size.between"
        );
        assert_eq!(
            rejection(json!({"name": {"size": {"between": [3]}}})).path,
            "filter.name.size.between"
        );
    }

    #[test]
    fn in_and_not_in() {
        let item = todo();
        assert!(check(on("priority", "in", json!([1, 3, 5])), &item));
        assert!(!check(on("priority", "in", json!([1, 2])), &item));
        assert!(!check(on("priority", "in", json!([])), &item));
        assert!(check(on("name", "in", json!(["x", "Buy milk"])), &item));
        assert!(check(on("priority", "notIn", json!([1, 2])), &item));
        assert!(!check(on("priority", "notIn", json!([3])), &item));
        assert!(check(on("priority", "notIn", json!([])), &item));
    }

    #[test]
    fn in_and_not_in_need_lists_of_scalars() {
        assert_eq!(
            rejection(on("priority", "in", json!(3))).path,
            "filter.priority.in"
        );
        assert_eq!(
            rejection(on("priority", "notIn", json!("3"))).path,
            "filter.priority.notIn"
        );
        assert_eq!(
            rejection(on("priority", "in", json!([1, [2]]))).path,
            "filter.priority.in[1]"
        );
    }

    #[test]
    fn and_requires_every_member() {
        let item = todo();
        assert!(check(
            json!({"and": [{"priority": {"ge": 3}}, {"name": {"beginsWith": "Buy"}}]}),
            &item
        ));
        assert!(!check(
            json!({"and": [{"priority": {"ge": 3}}, {"name": {"beginsWith": "Sell"}}]}),
            &item
        ));
    }

    #[test]
    fn or_requires_any_member() {
        let item = todo();
        assert!(check(
            json!({"or": [{"priority": {"gt": 9}}, {"done": {"eq": false}}]}),
            &item
        ));
        assert!(!check(
            json!({"or": [{"priority": {"gt": 9}}, {"done": {"eq": true}}]}),
            &item
        ));
        assert!(check(json!({"or": [{"done": {"eq": false}}]}), &item));
    }

    #[test]
    fn not_negates() {
        let item = todo();
        assert!(!check(json!({"not": {"priority": {"eq": 3}}}), &item));
        assert!(check(json!({"not": {"priority": {"eq": 4}}}), &item));
        assert!(check(
            json!({"not": {"not": {"priority": {"eq": 3}}}}),
            &item
        ));
    }

    #[test]
    fn logical_operators_nest() {
        let item = todo();
        let filter = json!({
            "or": [
                {"and": [{"priority": {"gt": 5}}, {"done": {"eq": false}}]},
                {"not": {"or": [{"name": {"contains": "bread"}}, {"tags": {"contains": "work"}}]}},
            ],
        });
        assert!(check(filter, &item));
        let filter = json!({
            "and": [
                {"or": [{"priority": {"gt": 5}}, {"score": {"lt": 1}}]},
                {"not": {"done": {"eq": true}}},
            ],
        });
        assert!(!check(filter, &item));
    }

    #[test]
    fn empty_and_or_lists_constrain_nothing() {
        let item = todo();
        assert!(check(json!({"and": []}), &item));
        assert!(check(json!({"or": []}), &item));
        assert!(check(json!({"and": null, "or": null, "not": null}), &item));
        assert!(
            check(json!({"not": {"or": []}}), &item),
            "not of no constraint is still no constraint"
        );
        assert!(check(json!({"or": [], "priority": {"eq": 3}}), &item));
        assert!(!check(json!({"or": [], "priority": {"eq": 4}}), &item));
    }

    #[test]
    fn constraint_free_members_of_or_are_dropped() {
        let item = todo();
        assert!(!check(json!({"or": [{}, {"priority": {"eq": 4}}]}), &item));
        assert!(!check(
            json!({"or": [null, {"name": {"eq": null}}, {"priority": {"eq": 4}}]}),
            &item
        ));
        assert!(check(json!({"or": [{}, {"priority": {"eq": 3}}]}), &item));
    }

    #[test]
    fn keys_of_one_object_are_anded() {
        let item = todo();
        assert!(check(
            json!({"priority": {"ge": 1, "le": 3}, "done": {"eq": false}}),
            &item
        ));
        assert!(!check(
            json!({"priority": {"ge": 1, "le": 2}, "done": {"eq": false}}),
            &item
        ));
        assert!(!check(
            json!({"priority": {"ge": 1, "le": 3}, "done": {"eq": true}}),
            &item
        ));
    }

    #[test]
    fn missing_attribute_fails_every_comparator_except_negations() {
        let item = todo();
        let false_cases = [
            ("eq", json!("x")),
            ("lt", json!("x")),
            ("le", json!(1)),
            ("gt", json!(1)),
            ("ge", json!("")),
            ("between", json!([0, 9])),
            ("contains", json!("x")),
            ("beginsWith", json!("")),
            ("attributeExists", json!(true)),
            ("attributeType", json!("string")),
            ("in", json!(["x", 1])),
        ];
        for (operator, operand) in false_cases {
            assert!(
                !check(on("missing", operator, operand), &item),
                "{operator} on a missing attribute"
            );
        }
        let true_cases = [
            ("ne", json!("x")),
            ("notContains", json!("x")),
            ("notIn", json!(["x"])),
            ("attributeExists", json!(false)),
        ];
        for (operator, operand) in true_cases {
            assert!(
                check(on("missing", operator, operand), &item),
                "{operator} on a missing attribute"
            );
        }
    }

    #[test]
    fn stored_null_equals_nothing_but_is_present() {
        let item = todo();
        assert!(!check(on("description", "eq", json!("x")), &item));
        assert!(check(on("description", "ne", json!("x")), &item));
        assert!(!check(on("description", "lt", json!("x")), &item));
        assert!(!check(on("description", "contains", json!("x")), &item));
    }

    #[test]
    fn non_object_items_have_no_attributes() {
        assert!(!check(on("name", "eq", json!("x")), &Value::Null));
        assert!(check(
            on("name", "attributeExists", json!(false)),
            &json!([1, 2])
        ));
    }

    #[test]
    fn query_mode_ignores_null_operands() {
        let item = todo();
        for operator in [
            "eq",
            "ne",
            "lt",
            "le",
            "gt",
            "ge",
            "between",
            "contains",
            "notContains",
            "beginsWith",
            "attributeExists",
            "attributeType",
            "size",
            "in",
            "notIn",
        ] {
            assert!(
                check(on("name", operator, Value::Null), &item),
                "{operator}: null"
            );
            assert!(
                check(on("missing", operator, Value::Null), &item),
                "{operator}: null"
            );
        }
        assert!(check(json!({"name": {"size": {"eq": null}}}), &item));
    }

    #[test]
    fn subscription_mode_eq_null_matches_null_or_missing() {
        let sub = FilterMode::Subscription;
        let item = todo();
        assert!(check_in(sub, on("description", "eq", Value::Null), &item));
        assert!(check_in(sub, on("missing", "eq", Value::Null), &item));
        assert!(!check_in(sub, on("name", "eq", Value::Null), &item));
    }

    #[test]
    fn subscription_mode_ne_null_matches_non_null() {
        let sub = FilterMode::Subscription;
        let item = todo();
        assert!(check_in(sub, on("name", "ne", Value::Null), &item));
        assert!(check_in(sub, on("done", "ne", Value::Null), &item));
        assert!(!check_in(sub, on("description", "ne", Value::Null), &item));
        assert!(!check_in(sub, on("missing", "ne", Value::Null), &item));
    }

    #[test]
    fn subscription_mode_keeps_non_null_semantics() {
        let sub = FilterMode::Subscription;
        let item = todo();
        assert!(check_in(
            sub,
            json!({"priority": {"gt": null}, "name": {"eq": "Buy milk"}}),
            &item
        ));
        assert!(!check_in(sub, json!({"name": {"eq": "Sell"}}), &item));
        assert!(check_in(sub, on("missing", "ne", json!("x")), &item));
    }

    #[test]
    fn null_in_membership_lists_follows_mode() {
        let item = todo();
        let in_null = |field: &str| on(field, "in", json!([null, "x"]));
        assert!(check(in_null("description"), &item));
        assert!(!check(in_null("missing"), &item));
        assert!(!check(in_null("name"), &item));
        let sub = FilterMode::Subscription;
        assert!(check_in(sub, in_null("description"), &item));
        assert!(check_in(sub, in_null("missing"), &item));
        assert!(!check_in(sub, in_null("name"), &item));
        assert!(!check_in(sub, on("missing", "notIn", json!([null])), &item));
        assert!(check_in(sub, on("name", "notIn", json!([null])), &item));
    }

    #[test]
    fn unknown_operator_is_an_error_naming_its_path() {
        let error = rejection(on("name", "startsWith", json!("B")));
        assert_eq!(error.path, "filter.name.startsWith");
        assert!(error.message.contains("startsWith"), "{}", error.message);
        let nested = rejection(json!({"and": [{}, {"not": {"name": {"like": null}}}]}));
        assert_eq!(nested.path, "filter.and[1].not.name.like");
    }

    #[test]
    fn malformed_logical_operands_are_errors() {
        assert_eq!(
            rejection(json!({"and": {"name": {"eq": "x"}}})).path,
            "filter.and"
        );
        assert_eq!(rejection(json!({"or": "x"})).path, "filter.or");
        assert_eq!(
            rejection(json!({"not": [{"name": {"eq": "x"}}]})).path,
            "filter.not"
        );
        assert_eq!(
            rejection(json!({"or": [{"name": {"eq": "x"}}, 3]})).path,
            "filter.or[1]"
        );
        assert_eq!(rejection(json!({"name": "Buy milk"})).path, "filter.name");
        assert_eq!(rejection(json!([{"name": {"eq": "x"}}])).path, "filter");
    }

    #[test]
    fn list_or_object_equality_operands_are_errors() {
        assert_eq!(
            rejection(on("tags", "eq", json!(["home"]))).path,
            "filter.tags.eq"
        );
        assert_eq!(
            rejection(on("meta", "ne", json!({"a": 1}))).path,
            "filter.meta.ne"
        );
        assert_eq!(
            rejection(on("tags", "contains", json!(["home"]))).path,
            "filter.tags.contains"
        );
    }

    fn nested_nots(levels: usize) -> Value {
        let mut filter = json!({"priority": {"eq": 3}});
        for _ in 1..levels {
            filter = json!({ "not": filter });
        }
        filter
    }

    #[test]
    fn nesting_up_to_the_limit_is_accepted() {
        let filter = nested_nots(MAX_DEPTH);
        // 63 negations of a true test: odd, so false.
        assert!(!check(filter, &todo()));
    }

    #[test]
    fn nesting_beyond_the_limit_is_an_error() {
        let error = rejection(nested_nots(MAX_DEPTH + 1));
        assert!(error.message.contains("64"), "{}", error.message);
        assert!(error.path.starts_with("filter.not.not."), "{}", error.path);
        let mut deep_and = json!({});
        for _ in 0..MAX_DEPTH {
            deep_and = json!({ "and": [deep_and] });
        }
        assert!(validate(&deep_and).is_err());
    }

    #[test]
    fn errors_are_reported_even_where_evaluation_would_short_circuit() {
        let filter = json!({"or": [{"priority": {"eq": 3}}, {"priority": {"between": [1]}}]});
        assert!(matches(&filter, &todo()).is_err());
    }

    #[test]
    fn validate_accepts_well_formed_filters() {
        let filter = json!({
            "id": {"eq": "1"},
            "name": {"size": {"between": [1, 9]}, "attributeType": "string"},
            "and": [{"priority": {"in": [1, 2]}}],
            "or": [{"not": {"done": {"attributeExists": true}}}],
        });
        assert_eq!(validate(&filter), Ok(()));
    }

    #[test]
    fn with_root_renames_the_argument() {
        let error = rejection(json!({"and": [{"name": {"bad": 1}}]}));
        assert_eq!(
            error.clone().with_root("condition").path,
            "condition.and[0].name.bad"
        );
        let top = rejection(json!(3));
        assert_eq!(top.with_root("condition").path, "condition");
    }

    #[test]
    fn parsed_filter_is_reusable_across_items() {
        let parsed = match Filter::parse(&on("priority", "gt", json!(2)), FilterMode::Query) {
            Ok(parsed) => parsed,
            Err(error) => panic!("{error}"),
        };
        assert!(!parsed.is_unconstrained());
        assert!(parsed.matches(&json!({"priority": 3})));
        assert!(!parsed.matches(&json!({"priority": 2})));
        assert!(!parsed.matches(&json!({})));
        let empty = match Filter::parse(&json!({"or": []}), FilterMode::Query) {
            Ok(parsed) => parsed,
            Err(error) => panic!("{error}"),
        };
        assert!(empty.is_unconstrained());
    }
}
