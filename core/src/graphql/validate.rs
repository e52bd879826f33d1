//! Document checks that need no schema: fragments exist and are acyclic, and every variable
//! used is declared by the operation that uses it.

use super::DocumentError;
use graphql_parser::query::{
    Definition, Document, FragmentDefinition, OperationDefinition, Selection, SelectionSet, Value,
    VariableDefinition,
};
use std::collections::{HashMap, HashSet};

/// The deepest nesting of `{`, `[` and `(` accepted. The parser recurses per level, so this keeps
/// a pathological document from exhausting the stack; real operations stay far below it.
pub(super) const MAX_DEPTH: usize = 64;

/// Rejects documents nested deeper than [`MAX_DEPTH`] before they reach the parser.
pub(super) fn check_depth(text: &str) -> Result<(), DocumentError> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
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
                if depth > MAX_DEPTH {
                    return Err(DocumentError::new(format!(
                        "the document is nested deeper than {MAX_DEPTH} levels"
                    )));
                }
            }
            '}' | ']' | ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

type Fragments<'d> = HashMap<&'d str, &'d FragmentDefinition<'static, String>>;

pub(super) fn check_document(document: &Document<'static, String>) -> Result<(), DocumentError> {
    let mut fragments: Fragments<'_> = HashMap::new();
    for definition in &document.definitions {
        if let Definition::Fragment(f) = definition {
            if fragments.insert(f.name.as_str(), f).is_some() {
                return Err(DocumentError::new(format!(
                    "fragment `{}` is defined twice",
                    f.name
                )));
            }
        }
    }
    for definition in &document.definitions {
        let Definition::Operation(op) = definition else {
            continue;
        };
        let (vars, set): (&[VariableDefinition<'static, String>], _) = match op {
            OperationDefinition::SelectionSet(s) => (&[], s),
            OperationDefinition::Query(q) => (&q.variable_definitions, &q.selection_set),
            OperationDefinition::Mutation(m) => (&m.variable_definitions, &m.selection_set),
            OperationDefinition::Subscription(s) => (&s.variable_definitions, &s.selection_set),
        };
        let declared: HashSet<&str> = vars.iter().map(|v| v.name.as_str()).collect();
        let mut visiting = Vec::new();
        walk(set, &fragments, &declared, &mut visiting)?;
    }
    Ok(())
}

/// For fragment-only documents: every spread names a fragment of the document, and no fragment
/// spreads itself. (Variables are the caller's, so they are not checked here.)
pub(super) fn check_fragments(document: &Document<'static, String>) -> Result<(), DocumentError> {
    let fragments: Fragments<'_> = document
        .definitions
        .iter()
        .filter_map(|d| match d {
            Definition::Fragment(f) => Some((f.name.as_str(), f)),
            Definition::Operation(_) => None,
        })
        .collect();
    fn spreads<'d>(
        set: &'d SelectionSet<'static, String>,
        fragments: &Fragments<'d>,
        visiting: &mut Vec<&'d str>,
    ) -> Result<(), DocumentError> {
        for item in &set.items {
            match item {
                Selection::Field(field) => spreads(&field.selection_set, fragments, visiting)?,
                Selection::InlineFragment(inline) => {
                    spreads(&inline.selection_set, fragments, visiting)?
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.fragment_name.as_str();
                    let Some(fragment) = fragments.get(name) else {
                        return Err(DocumentError::new(format!("unknown fragment `{name}`")));
                    };
                    if visiting.contains(&name) {
                        return Err(DocumentError::new(format!(
                            "fragment `{name}` spreads itself"
                        )));
                    }
                    visiting.push(name);
                    spreads(&fragment.selection_set, fragments, visiting)?;
                    visiting.pop();
                }
            }
        }
        Ok(())
    }
    for (name, fragment) in &fragments {
        let mut visiting = vec![*name];
        spreads(&fragment.selection_set, &fragments, &mut visiting)?;
    }
    Ok(())
}

fn walk<'d>(
    set: &'d SelectionSet<'static, String>,
    fragments: &Fragments<'d>,
    declared: &HashSet<&str>,
    visiting: &mut Vec<&'d str>,
) -> Result<(), DocumentError> {
    for item in &set.items {
        match item {
            Selection::Field(field) => {
                for (_, value) in &field.arguments {
                    check_value(value, declared)?;
                }
                walk(&field.selection_set, fragments, declared, visiting)?;
            }
            Selection::InlineFragment(inline) => {
                walk(&inline.selection_set, fragments, declared, visiting)?
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.fragment_name.as_str();
                let Some(fragment) = fragments.get(name) else {
                    return Err(DocumentError::new(format!("unknown fragment `{name}`")));
                };
                if visiting.contains(&name) {
                    return Err(DocumentError::new(format!(
                        "fragment `{name}` spreads itself"
                    )));
                }
                visiting.push(name);
                walk(&fragment.selection_set, fragments, declared, visiting)?;
                visiting.pop();
            }
        }
    }
    Ok(())
}

fn check_value(
    value: &Value<'static, String>,
    declared: &HashSet<&str>,
) -> Result<(), DocumentError> {
    match value {
        Value::Variable(name) if !declared.contains(name.as_str()) => Err(DocumentError::new(
            format!("variable `${name}` is used but not declared"),
        )),
        Value::List(items) => items.iter().try_for_each(|v| check_value(v, declared)),
        Value::Object(fields) => fields.values().try_for_each(|v| check_value(v, declared)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use crate::graphql::Operation;

    #[test]
    fn unknown_and_cyclic_fragments_are_rejected() {
        assert!(Operation::parse("{ a { ...F } }", None)
            .unwrap_err()
            .message
            .contains("unknown fragment"));
        let cyclic = "{ a { ...F } } fragment F on T { b { ...G } } fragment G on T { ...F }";
        assert!(Operation::parse(cyclic, None)
            .unwrap_err()
            .message
            .contains("spreads itself"));
    }

    #[test]
    fn absurdly_deep_documents_are_rejected_before_parsing() {
        let deep = format!("{{ {} a {} }}", "a {".repeat(10_000), "}".repeat(10_000));
        assert!(Operation::parse(&deep, None)
            .unwrap_err()
            .message
            .contains("nested deeper"));
        let in_string = format!("{{ a(s: \"{}\") }}", "{".repeat(500));
        assert!(
            Operation::parse(&in_string, None).is_ok(),
            "braces inside strings do not count"
        );
    }

    #[test]
    fn undeclared_variables_are_rejected() {
        let e = Operation::parse("query { getTodo(id: $id) { id } }", None).unwrap_err();
        assert!(e.message.contains("$id"), "{e}");
        let nested = "query($a: Int) { f(x: {y: [$a, $b]}) }";
        assert!(Operation::parse(nested, None)
            .unwrap_err()
            .message
            .contains("$b"));
    }
}
