//! Document checks that need no schema: fragments exist and are acyclic, and every variable
//! used is declared by the operation that uses it.

use super::ast::{Definition, Document, FragmentDefinition, Selection, SelectionSet, Value};
use super::DocumentError;
use std::collections::{HashMap, HashSet};

type Fragments<'d> = HashMap<&'d str, &'d FragmentDefinition>;

pub(super) fn check_document(document: &Document) -> Result<(), DocumentError> {
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
        let declared: HashSet<&str> = op
            .variable_definitions
            .iter()
            .map(|v| v.name.as_str())
            .collect();
        let mut visiting = Vec::new();
        walk(&op.selection_set, &fragments, &declared, &mut visiting)?;
    }
    Ok(())
}

/// For fragment-only documents: every spread names a fragment of the document, and no fragment
/// spreads itself. (Variables are the caller's, so they are not checked here.)
pub(super) fn check_fragments(document: &Document) -> Result<(), DocumentError> {
    let fragments: Fragments<'_> = document
        .definitions
        .iter()
        .filter_map(|d| match d {
            Definition::Fragment(f) => Some((f.name.as_str(), f)),
            Definition::Operation(_) => None,
        })
        .collect();
    fn spreads<'d>(
        set: &'d SelectionSet,
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
    set: &'d SelectionSet,
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

fn check_value(value: &Value, declared: &HashSet<&str>) -> Result<(), DocumentError> {
    match value {
        Value::Variable(name) if !declared.contains(name.as_str()) => Err(DocumentError::new(
            format!("variable `${name}` is used but not declared"),
        )),
        Value::List(items) => items.iter().try_for_each(|v| check_value(v, declared)),
        Value::Object(fields) => fields
            .iter()
            .try_for_each(|(_, v)| check_value(v, declared)),
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
    fn absurdly_deep_documents_are_rejected() {
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
