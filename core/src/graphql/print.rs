//! Prints a document back to text, as it goes over the wire: one item per line, two-space
//! indentation (the layout `graphql-js` prints, so error locations read the same way).

use super::ast::{
    Definition, Directive, Document, FragmentDefinition, OperationDefinition, Selection,
    SelectionSet, Type, Value,
};
use super::OperationKind;
use std::fmt::{self, Write};

impl fmt::Display for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        for (i, definition) in self.definitions.iter().enumerate() {
            if i > 0 {
                out.push_str("\n\n");
            }
            match definition {
                Definition::Operation(op) => operation(&mut out, op),
                Definition::Fragment(fragment) => fragment_definition(&mut out, fragment),
            }
        }
        f.write_str(&out)
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Named(name) => f.write_str(name),
            Type::List(item) => write!(f, "[{item}]"),
            Type::NonNull(inner) => write!(f, "{inner}!"),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        value(&mut out, self);
        f.write_str(&out)
    }
}

fn operation(out: &mut String, op: &OperationDefinition) {
    let shorthand = op.kind == OperationKind::Query
        && op.name.is_none()
        && op.variable_definitions.is_empty()
        && op.directives.is_empty();
    if !shorthand {
        out.push_str(match op.kind {
            OperationKind::Query => "query",
            OperationKind::Mutation => "mutation",
            OperationKind::Subscription => "subscription",
        });
        if let Some(name) = &op.name {
            out.push(' ');
            out.push_str(name);
        }
        if !op.variable_definitions.is_empty() {
            out.push('(');
            for (i, var) in op.variable_definitions.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "${}: {}", var.name, var.var_type);
                if let Some(default) = &var.default_value {
                    out.push_str(" = ");
                    value(out, default);
                }
                directives(out, &var.directives);
            }
            out.push(')');
        }
        directives(out, &op.directives);
        out.push(' ');
    }
    selection_set(out, &op.selection_set, 0);
}

fn fragment_definition(out: &mut String, fragment: &FragmentDefinition) {
    let _ = write!(
        out,
        "fragment {} on {}",
        fragment.name, fragment.type_condition
    );
    directives(out, &fragment.directives);
    out.push(' ');
    selection_set(out, &fragment.selection_set, 0);
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn selection_set(out: &mut String, set: &SelectionSet, level: usize) {
    out.push_str("{\n");
    for item in &set.items {
        indent(out, level + 1);
        match item {
            Selection::Field(field) => {
                if let Some(alias) = &field.alias {
                    out.push_str(alias);
                    out.push_str(": ");
                }
                out.push_str(&field.name);
                arguments(out, &field.arguments);
                directives(out, &field.directives);
                if !field.selection_set.items.is_empty() {
                    out.push(' ');
                    selection_set(out, &field.selection_set, level + 1);
                }
            }
            Selection::FragmentSpread(spread) => {
                out.push_str("...");
                out.push_str(&spread.fragment_name);
                directives(out, &spread.directives);
            }
            Selection::InlineFragment(inline) => {
                out.push_str("...");
                if let Some(on) = &inline.type_condition {
                    out.push_str(" on ");
                    out.push_str(on);
                }
                directives(out, &inline.directives);
                out.push(' ');
                selection_set(out, &inline.selection_set, level + 1);
            }
        }
        out.push('\n');
    }
    indent(out, level);
    out.push('}');
}

fn arguments(out: &mut String, args: &[(String, Value)]) {
    if args.is_empty() {
        return;
    }
    out.push('(');
    for (i, (name, v)) in args.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(name);
        out.push_str(": ");
        value(out, v);
    }
    out.push(')');
}

fn directives(out: &mut String, list: &[Directive]) {
    for directive in list {
        out.push_str(" @");
        out.push_str(&directive.name);
        arguments(out, &directive.arguments);
    }
}

fn value(out: &mut String, v: &Value) {
    match v {
        Value::Variable(name) => {
            out.push('$');
            out.push_str(name);
        }
        Value::Int(n) => {
            let _ = write!(out, "{n}");
        }
        // `{:?}` always writes a fraction or an exponent, so the literal stays a Float.
        Value::Float(x) => {
            let _ = write!(out, "{x:?}");
        }
        Value::String(s) => string(out, s),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Null => out.push_str("null"),
        Value::Enum(e) => out.push_str(e),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                value(out, item);
            }
            out.push(']');
        }
        Value::Object(fields) => {
            out.push('{');
            for (i, (name, item)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(name);
                out.push_str(": ");
                value(out, item);
            }
            out.push('}');
        }
    }
}

fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::super::parser::parse;

    #[test]
    fn prints_in_graphql_js_layout() {
        let doc = parse(
            "mutation Add($input: CreateTodoInput!, $n: [Int] = [1, 2.5] @d) @m { a: createTodo(input: $input, o: {x: \"q\\\"\\n\\u0001\", y: ENUM, z: null, w: true}) @include(if: $n) { id ...F ... on Todo { n } } } fragment F on Todo { id }",
        )
        .unwrap();
        let printed = doc.to_string();
        assert_eq!(
            printed,
            "mutation Add($input: CreateTodoInput!, $n: [Int] = [1, 2.5] @d) @m {\n  a: createTodo(input: $input, o: {x: \"q\\\"\\n\\u0001\", y: ENUM, z: null, w: true}) @include(if: $n) {\n    id\n    ...F\n    ... on Todo {\n      n\n    }\n  }\n}\n\nfragment F on Todo {\n  id\n}"
        );
        assert_eq!(parse(&printed).unwrap(), doc, "printing round-trips");
    }

    #[test]
    fn shorthand_stays_shorthand_and_floats_stay_floats() {
        let doc = parse("{ f(x: 1e3, y: 2.0) }").unwrap();
        assert_eq!(doc.to_string(), "{\n  f(x: 1000.0, y: 2.0)\n}");
        let doc = parse("query { a }").unwrap();
        assert_eq!(doc.to_string(), "{\n  a\n}");
        let doc = parse("{ f(x: 1e300) }").unwrap();
        assert_eq!(parse(&doc.to_string()).unwrap(), doc);
    }
}
