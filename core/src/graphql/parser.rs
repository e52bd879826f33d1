//! A recursive-descent parser for executable GraphQL documents (the spec's `ExecutableDocument`:
//! operations and fragments). Written for this crate instead of taking a general GraphQL parser:
//! a client never parses schemas, and the browser build pays for every byte of code.
//!
//! Errors name the line and column (1-based, counted in characters) and what was expected.
//! Nesting deeper than [`MAX_DEPTH`] is an error, so no document can exhaust the stack.

use super::ast::{
    Definition, Directive, Document, Field, FragmentDefinition, FragmentSpread, InlineFragment,
    OperationDefinition, Selection, SelectionSet, Type, Value, VariableDefinition,
};
use super::{DocumentError, OperationKind};

/// The deepest nesting of selection sets, lists, input objects and list types accepted. Real
/// operations stay far below it.
pub const MAX_DEPTH: usize = 64;

/// Parses an executable document.
pub fn parse(text: &str) -> Result<Document, DocumentError> {
    let mut parser = Parser {
        lexer: Lexer::new(text),
        token: Token::eof(),
        depth: 0,
    };
    parser.advance()?;
    let mut definitions = Vec::new();
    while parser.token.kind != Kind::Eof {
        definitions.push(parser.definition()?);
    }
    if definitions.is_empty() {
        return Err(DocumentError::new("syntax error: the document is empty"));
    }
    Ok(Document { definitions })
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Eof,
    /// `! $ & ( ) : = @ [ ] { | }`, and `.` standing for `...`.
    Punct(char),
    Name,
    Int(i64),
    Float(f64),
    /// A string or block string, already decoded.
    Str(String),
}

#[derive(Debug, Clone)]
struct Token<'a> {
    kind: Kind,
    text: &'a str,
    line: usize,
    column: usize,
}

impl Token<'_> {
    fn eof() -> Self {
        Token {
            kind: Kind::Eof,
            text: "",
            line: 0,
            column: 0,
        }
    }

    fn describe(&self) -> String {
        match &self.kind {
            Kind::Eof => "the end of the document".into(),
            Kind::Punct('.') => "`...`".into(),
            Kind::Punct(c) => format!("`{c}`"),
            Kind::Name => format!("`{}`", self.text),
            Kind::Int(_) | Kind::Float(_) => format!("the number {}", self.text),
            Kind::Str(_) => "a string".into(),
        }
    }
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    line: usize,
    /// Byte offset where the current line starts.
    line_start: usize,
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str) -> Self {
        Lexer {
            src,
            pos: 0,
            line: 1,
            line_start: 0,
        }
    }

    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek_at(&self, offset: usize) -> Option<u8> {
        self.src.as_bytes().get(self.pos + offset).copied()
    }

    fn column_at(&self, pos: usize) -> usize {
        self.src[self.line_start..pos].chars().count() + 1
    }

    fn error_at(&self, pos: usize, message: &str) -> DocumentError {
        DocumentError::new(format!(
            "syntax error at line {}, column {}: {message}",
            self.line,
            self.column_at(pos)
        ))
    }

    fn newline(&mut self) {
        self.line += 1;
        self.line_start = self.pos;
    }

    /// Skips whitespace, line terminators, commas, comments and byte-order marks.
    fn skip_ignored(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | ',' | '\u{feff}' => self.pos += c.len_utf8(),
                '\n' => {
                    self.pos += 1;
                    self.newline();
                }
                '\r' => {
                    self.pos += 1;
                    if self.peek() == Some('\n') {
                        self.pos += 1;
                    }
                    self.newline();
                }
                '#' => {
                    while let Some(c) = self.peek() {
                        if c == '\n' || c == '\r' {
                            break;
                        }
                        self.pos += c.len_utf8();
                    }
                }
                _ => break,
            }
        }
    }

    fn next_token(&mut self) -> Result<Token<'a>, DocumentError> {
        self.skip_ignored();
        let start = self.pos;
        let (line, column) = (self.line, self.column_at(start));
        let Some(c) = self.peek() else {
            return Ok(Token {
                kind: Kind::Eof,
                text: "",
                line,
                column,
            });
        };
        let kind = match c {
            '!' | '$' | '&' | '(' | ')' | ':' | '=' | '@' | '[' | ']' | '{' | '|' | '}' => {
                self.pos += 1;
                Kind::Punct(c)
            }
            '.' => {
                if self.peek_at(1) == Some(b'.') && self.peek_at(2) == Some(b'.') {
                    self.pos += 3;
                    Kind::Punct('.')
                } else {
                    return Err(self.error_at(start, "expected `...`"));
                }
            }
            '_' | 'a'..='z' | 'A'..='Z' => {
                while matches!(self.peek(), Some('_' | 'a'..='z' | 'A'..='Z' | '0'..='9')) {
                    self.pos += 1;
                }
                Kind::Name
            }
            '-' | '0'..='9' => self.number(start)?,
            '"' => {
                if self.src[start..].starts_with("\"\"\"") {
                    self.block_string(start)?
                } else {
                    self.string(start)?
                }
            }
            other => {
                return Err(self.error_at(start, &format!("unexpected character {other:?}")));
            }
        };
        Ok(Token {
            kind,
            text: &self.src[start..self.pos],
            line,
            column,
        })
    }

    fn digits(&mut self) -> usize {
        let from = self.pos;
        while matches!(self.peek(), Some('0'..='9')) {
            self.pos += 1;
        }
        self.pos - from
    }

    fn number(&mut self, start: usize) -> Result<Kind, DocumentError> {
        if self.peek() == Some('-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        if self.digits() == 0 {
            return Err(self.error_at(start, "expected a digit after `-`"));
        }
        if self.src.as_bytes().get(int_start) == Some(&b'0') && self.pos - int_start > 1 {
            return Err(self.error_at(start, "a number cannot start with `0`"));
        }
        let mut float = false;
        if self.peek() == Some('.') {
            self.pos += 1;
            float = true;
            if self.digits() == 0 {
                return Err(self.error_at(start, "expected a digit after `.`"));
            }
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            self.pos += 1;
            float = true;
            if matches!(self.peek(), Some('+' | '-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error_at(start, "expected a digit in the exponent"));
            }
        }
        if matches!(self.peek(), Some('.' | '_' | 'a'..='z' | 'A'..='Z')) {
            return Err(self.error_at(self.pos, "a number must not be followed by a name or `.`"));
        }
        let text = &self.src[start..self.pos];
        if float {
            match crate::runtime::parse_f64(text) {
                f if f.is_finite() => Ok(Kind::Float(f)),
                _ => Err(self.error_at(start, &format!("the number {text} is out of range"))),
            }
        } else {
            text.parse::<i64>()
                .map(Kind::Int)
                .map_err(|_| self.error_at(start, &format!("the integer {text} is out of range")))
        }
    }

    fn string(&mut self, start: usize) -> Result<Kind, DocumentError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error_at(start, "unterminated string"));
            };
            match c {
                '"' => {
                    self.pos += 1;
                    return Ok(Kind::Str(out));
                }
                '\n' | '\r' => return Err(self.error_at(start, "unterminated string")),
                '\\' => {
                    let escape_at = self.pos;
                    self.pos += 1;
                    let Some(e) = self.peek() else {
                        return Err(self.error_at(start, "unterminated string"));
                    };
                    self.pos += e.len_utf8();
                    match e {
                        '"' => out.push('"'),
                        '\\' => out.push('\\'),
                        '/' => out.push('/'),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'u' => out.push(self.unicode_escape(escape_at)?),
                        other => {
                            return Err(self.error_at(
                                escape_at,
                                &format!("invalid escape sequence `\\{other}`"),
                            ))
                        }
                    }
                }
                c if c < ' ' && c != '\t' => {
                    return Err(self.error_at(self.pos, "control character in a string"));
                }
                c => {
                    out.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
    }

    /// After `\u`: four hex digits (a surrogate pair is two escapes) or `{hex}`.
    fn unicode_escape(&mut self, escape_at: usize) -> Result<char, DocumentError> {
        let bad = |lexer: &Self| lexer.error_at(escape_at, "invalid unicode escape");
        let code = if self.peek() == Some('{') {
            let close = self.src[self.pos..].find('}').ok_or_else(|| bad(self))?;
            let hex = &self.src[self.pos + 1..self.pos + close];
            self.pos += close + 1;
            if hex.is_empty() || hex.len() > 6 {
                return Err(bad(self));
            }
            u32::from_str_radix(hex, 16).map_err(|_| bad(self))?
        } else {
            let lead = self.hex4().ok_or_else(|| bad(self))?;
            if (0xD800..0xDC00).contains(&lead) {
                if !self.src[self.pos..].starts_with("\\u") {
                    return Err(bad(self));
                }
                self.pos += 2;
                let trail = self.hex4().ok_or_else(|| bad(self))?;
                if !(0xDC00..0xE000).contains(&trail) {
                    return Err(bad(self));
                }
                0x10000 + ((lead - 0xD800) << 10) + (trail - 0xDC00)
            } else {
                lead
            }
        };
        char::from_u32(code).ok_or_else(|| bad(self))
    }

    fn hex4(&mut self) -> Option<u32> {
        let hex = self.src.get(self.pos..self.pos + 4)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.pos += 4;
        u32::from_str_radix(hex, 16).ok()
    }

    /// `"""…"""`: raw text (only `\"""` is an escape), with common indentation and blank first
    /// and last lines removed, as the spec's BlockStringValue says.
    fn block_string(&mut self, start: usize) -> Result<Kind, DocumentError> {
        self.pos += 3;
        let mut raw = String::new();
        loop {
            let rest = &self.src[self.pos..];
            if rest.starts_with("\"\"\"") {
                self.pos += 3;
                return Ok(Kind::Str(block_string_value(&raw)));
            }
            if rest.starts_with("\\\"\"\"") {
                raw.push_str("\"\"\"");
                self.pos += 4;
                continue;
            }
            let Some(c) = rest.chars().next() else {
                return Err(self.error_at(start, "unterminated block string"));
            };
            self.pos += c.len_utf8();
            match c {
                '\n' => {
                    raw.push('\n');
                    self.newline();
                }
                '\r' => {
                    if self.peek() == Some('\n') {
                        self.pos += 1;
                    }
                    raw.push('\n');
                    self.newline();
                }
                c if c < ' ' && c != '\t' => {
                    return Err(self.error_at(self.pos - 1, "control character in a string"));
                }
                c => raw.push(c),
            }
        }
    }
}

fn block_string_value(raw: &str) -> String {
    let lines: Vec<&str> = raw.split('\n').collect();
    let indent_of = |line: &str| line.len() - line.trim_start_matches([' ', '\t']).len();
    let common = lines
        .iter()
        .skip(1)
        .filter(|l| !l.trim_start_matches([' ', '\t']).is_empty())
        .map(|l| indent_of(l))
        .min();
    let mut lines: Vec<&str> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| match common {
            Some(n) if i > 0 => l.get(n.min(l.len())..).unwrap_or(""),
            _ => l,
        })
        .collect();
    let blank = |l: &&str| l.trim_start_matches([' ', '\t']).is_empty();
    while lines.first().is_some_and(blank) {
        lines.remove(0);
    }
    while lines.last().is_some_and(blank) {
        lines.pop();
    }
    lines.join("\n")
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    token: Token<'a>,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn advance(&mut self) -> Result<Token<'a>, DocumentError> {
        let next = self.lexer.next_token()?;
        Ok(std::mem::replace(&mut self.token, next))
    }

    fn error(&self, expected: &str) -> DocumentError {
        DocumentError::new(format!(
            "syntax error at line {}, column {}: expected {expected}, found {}",
            self.token.line,
            self.token.column,
            self.token.describe()
        ))
    }

    fn at(&self, c: char) -> bool {
        self.token.kind == Kind::Punct(c)
    }

    fn at_name(&self, name: &str) -> bool {
        self.token.kind == Kind::Name && self.token.text == name
    }

    /// Consumes the punctuator `c` if it is next.
    fn eat(&mut self, c: char) -> Result<bool, DocumentError> {
        if self.at(c) {
            self.advance()?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn expect(&mut self, c: char) -> Result<(), DocumentError> {
        if self.eat(c)? {
            Ok(())
        } else if c == '.' {
            Err(self.error("`...`"))
        } else {
            Err(self.error(&format!("`{c}`")))
        }
    }

    fn name(&mut self) -> Result<String, DocumentError> {
        if self.token.kind == Kind::Name {
            Ok(self.advance()?.text.to_owned())
        } else {
            Err(self.error("a name"))
        }
    }

    fn keyword(&mut self, word: &str) -> Result<(), DocumentError> {
        if self.at_name(word) {
            self.advance()?;
            Ok(())
        } else {
            Err(self.error(&format!("`{word}`")))
        }
    }

    fn enter(&mut self) -> Result<(), DocumentError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(DocumentError::new(format!(
                "the document is nested deeper than {MAX_DEPTH} levels (line {})",
                self.token.line
            )));
        }
        Ok(())
    }

    fn definition(&mut self) -> Result<Definition, DocumentError> {
        if self.at('{') {
            return Ok(Definition::Operation(OperationDefinition {
                kind: OperationKind::Query,
                name: None,
                variable_definitions: Vec::new(),
                directives: Vec::new(),
                selection_set: self.selection_set()?,
            }));
        }
        if self.token.kind == Kind::Name {
            let kind = match self.token.text {
                "query" => Some(OperationKind::Query),
                "mutation" => Some(OperationKind::Mutation),
                "subscription" => Some(OperationKind::Subscription),
                _ => None,
            };
            if let Some(kind) = kind {
                self.advance()?;
                let name = if self.token.kind == Kind::Name {
                    Some(self.name()?)
                } else {
                    None
                };
                let variable_definitions = self.variable_definitions()?;
                let directives = self.directives(false)?;
                let selection_set = self.selection_set()?;
                return Ok(Definition::Operation(OperationDefinition {
                    kind,
                    name,
                    variable_definitions,
                    directives,
                    selection_set,
                }));
            }
            if self.at_name("fragment") {
                self.advance()?;
                if self.at_name("on") {
                    return Err(self.error("a fragment name (not `on`)"));
                }
                let name = self.name()?;
                self.keyword("on")?;
                let type_condition = self.name()?;
                let directives = self.directives(false)?;
                let selection_set = self.selection_set()?;
                return Ok(Definition::Fragment(FragmentDefinition {
                    name,
                    type_condition,
                    directives,
                    selection_set,
                }));
            }
            if matches!(
                self.token.text,
                "schema"
                    | "scalar"
                    | "type"
                    | "interface"
                    | "union"
                    | "enum"
                    | "input"
                    | "directive"
                    | "extend"
            ) {
                return Err(self.error(
                    "an operation or fragment (type definitions belong in a schema, not in a request)",
                ));
            }
        }
        Err(self.error("`query`, `mutation`, `subscription`, `fragment` or `{`"))
    }

    fn variable_definitions(&mut self) -> Result<Vec<VariableDefinition>, DocumentError> {
        let mut out = Vec::new();
        if !self.eat('(')? {
            return Ok(out);
        }
        loop {
            self.expect('$')?;
            let name = self.name()?;
            self.expect(':')?;
            let var_type = self.type_ref()?;
            let default_value = if self.eat('=')? {
                Some(self.value(true)?)
            } else {
                None
            };
            let directives = self.directives(true)?;
            out.push(VariableDefinition {
                name,
                var_type,
                default_value,
                directives,
            });
            if self.eat(')')? {
                return Ok(out);
            }
        }
    }

    fn type_ref(&mut self) -> Result<Type, DocumentError> {
        let inner = if self.eat('[')? {
            self.enter()?;
            let item = self.type_ref()?;
            self.expect(']')?;
            self.depth -= 1;
            Type::List(Box::new(item))
        } else {
            Type::Named(self.name().map_err(|_| self.error("a type"))?)
        };
        Ok(if self.eat('!')? {
            Type::NonNull(Box::new(inner))
        } else {
            inner
        })
    }

    fn directives(&mut self, constant: bool) -> Result<Vec<Directive>, DocumentError> {
        let mut out = Vec::new();
        while self.eat('@')? {
            let name = self.name()?;
            let arguments = self.arguments(constant)?;
            out.push(Directive { name, arguments });
        }
        Ok(out)
    }

    fn arguments(&mut self, constant: bool) -> Result<Vec<(String, Value)>, DocumentError> {
        let mut out = Vec::new();
        if !self.eat('(')? {
            return Ok(out);
        }
        loop {
            let name = self.name()?;
            self.expect(':')?;
            out.push((name, self.value(constant)?));
            if self.eat(')')? {
                return Ok(out);
            }
        }
    }

    fn selection_set(&mut self) -> Result<SelectionSet, DocumentError> {
        self.expect('{')?;
        self.enter()?;
        let mut items = Vec::new();
        loop {
            items.push(self.selection()?);
            if self.eat('}')? {
                break;
            }
        }
        self.depth -= 1;
        Ok(SelectionSet { items })
    }

    fn selection(&mut self) -> Result<Selection, DocumentError> {
        if self.eat('.')? {
            if self.token.kind == Kind::Name && !self.at_name("on") {
                let fragment_name = self.name()?;
                let directives = self.directives(false)?;
                return Ok(Selection::FragmentSpread(FragmentSpread {
                    fragment_name,
                    directives,
                }));
            }
            let type_condition = if self.at_name("on") {
                self.advance()?;
                Some(self.name()?)
            } else {
                None
            };
            let directives = self.directives(false)?;
            let selection_set = self.selection_set()?;
            return Ok(Selection::InlineFragment(InlineFragment {
                type_condition,
                directives,
                selection_set,
            }));
        }
        if self.token.kind != Kind::Name {
            return Err(self.error("a field, `...` or `}`"));
        }
        let first = self.name()?;
        let (alias, name) = if self.eat(':')? {
            (Some(first), self.name()?)
        } else {
            (None, first)
        };
        let arguments = self.arguments(false)?;
        let directives = self.directives(false)?;
        let selection_set = if self.at('{') {
            self.selection_set()?
        } else {
            SelectionSet::default()
        };
        Ok(Selection::Field(Field {
            alias,
            name,
            arguments,
            directives,
            selection_set,
        }))
    }

    /// A value; `constant` (default values, variable directives) rules out variables.
    fn value(&mut self, constant: bool) -> Result<Value, DocumentError> {
        match self.token.kind.clone() {
            Kind::Punct('$') if !constant => {
                self.advance()?;
                Ok(Value::Variable(self.name()?))
            }
            Kind::Punct('[') => {
                self.advance()?;
                self.enter()?;
                let mut items = Vec::new();
                while !self.eat(']')? {
                    items.push(self.value(constant)?);
                }
                self.depth -= 1;
                Ok(Value::List(items))
            }
            Kind::Punct('{') => {
                self.advance()?;
                self.enter()?;
                let mut fields = Vec::new();
                while !self.eat('}')? {
                    let name = self.name()?;
                    self.expect(':')?;
                    fields.push((name, self.value(constant)?));
                }
                self.depth -= 1;
                Ok(Value::Object(fields))
            }
            Kind::Int(n) => {
                self.advance()?;
                Ok(Value::Int(n))
            }
            Kind::Float(f) => {
                self.advance()?;
                Ok(Value::Float(f))
            }
            Kind::Str(s) => {
                self.advance()?;
                Ok(Value::String(s))
            }
            Kind::Name => {
                let token = self.advance()?;
                Ok(match token.text {
                    "true" => Value::Boolean(true),
                    "false" => Value::Boolean(false),
                    "null" => Value::Null,
                    other => Value::Enum(other.to_owned()),
                })
            }
            Kind::Punct('$') => {
                Err(self.error("a constant value (variables are not allowed here)"))
            }
            _ => Err(self.error("a value")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(doc: &Document) -> &Field {
        let Definition::Operation(op) = &doc.definitions[0] else {
            panic!("not an operation")
        };
        let Selection::Field(f) = &op.selection_set.items[0] else {
            panic!("not a field")
        };
        f
    }

    #[test]
    fn parses_operations_fragments_and_every_selection_kind() {
        let doc = parse(
            "query Q($id: ID!, $n: [Int!]! = [1, 2] @d) @op(x: 1) {
               t: getTodo(id: $id) @include(if: true) { id ...F ... on Todo { name } ... @skip(if: false) { done } }
             }
             fragment F on Todo @f { owner { id } }",
        )
        .unwrap();
        assert_eq!(doc.definitions.len(), 2);
        let Definition::Operation(op) = &doc.definitions[0] else {
            panic!()
        };
        assert_eq!(op.kind, OperationKind::Query);
        assert_eq!(op.name.as_deref(), Some("Q"));
        assert_eq!(op.directives[0].name, "op");
        let n = &op.variable_definitions[1];
        assert_eq!(
            n.var_type,
            Type::NonNull(Box::new(Type::List(Box::new(Type::NonNull(Box::new(
                Type::Named("Int".into())
            ))))))
        );
        assert_eq!(
            n.default_value,
            Some(Value::List(vec![Value::Int(1), Value::Int(2)]))
        );
        assert_eq!(n.directives[0].name, "d");
        let f = field(&doc);
        assert_eq!(
            (f.alias.as_deref(), f.name.as_str()),
            (Some("t"), "getTodo")
        );
        assert_eq!(
            f.arguments,
            vec![("id".into(), Value::Variable("id".into()))]
        );
        assert_eq!(f.response_key(), "t");
        let items = &f.selection_set.items;
        assert!(matches!(&items[1], Selection::FragmentSpread(s) if s.fragment_name == "F"));
        assert!(
            matches!(&items[2], Selection::InlineFragment(i) if i.type_condition.as_deref() == Some("Todo"))
        );
        assert!(
            matches!(&items[3], Selection::InlineFragment(i) if i.type_condition.is_none() && i.directives[0].name == "skip")
        );
        let Definition::Fragment(fr) = &doc.definitions[1] else {
            panic!()
        };
        assert_eq!(
            (fr.name.as_str(), fr.type_condition.as_str()),
            ("F", "Todo")
        );
    }

    #[test]
    fn shorthand_and_keywords_as_field_names() {
        let doc = parse("{ query fragment on mutation(on: on) { type } }").unwrap();
        let Definition::Operation(op) = &doc.definitions[0] else {
            panic!()
        };
        assert_eq!(op.kind, OperationKind::Query);
        let names: Vec<_> = op
            .selection_set
            .items
            .iter()
            .map(|s| match s {
                Selection::Field(f) => f.name.as_str(),
                _ => "?",
            })
            .collect();
        assert_eq!(names, ["query", "fragment", "on", "mutation"]);
    }

    #[test]
    fn values_of_every_kind() {
        let doc = parse(
            r#"{ f(i: -12, f: 1.5e3, z: 0, s: "a\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00\u{1F600}", b: true, c: false,
                 n: null, e: ACTIVE, l: [], o: {a: {b: [1 "x"]}}, neg: -0.5) }"#,
        )
        .unwrap();
        let args: Vec<_> = field(&doc)
            .arguments
            .iter()
            .map(|(_, v)| v.clone())
            .collect();
        assert_eq!(args[0], Value::Int(-12));
        assert_eq!(args[1], Value::Float(1500.0));
        assert_eq!(args[2], Value::Int(0));
        assert_eq!(args[3], Value::String("a\"\\/\u{8}\u{c}\n\r\té😀😀".into()));
        assert_eq!(args[4], Value::Boolean(true));
        assert_eq!(args[5], Value::Boolean(false));
        assert_eq!(args[6], Value::Null);
        assert_eq!(args[7], Value::Enum("ACTIVE".into()));
        assert_eq!(args[8], Value::List(vec![]));
        assert_eq!(
            args[9],
            Value::Object(vec![(
                "a".into(),
                Value::Object(vec![(
                    "b".into(),
                    Value::List(vec![Value::Int(1), Value::String("x".into())])
                )])
            )])
        );
        assert_eq!(args[10], Value::Float(-0.5));
    }

    #[test]
    fn block_strings_are_dedented() {
        let doc = parse(
            "{ f(s: \"\"\"\n    Hello,\n      World!\n\n    Yours, \\\"\"\" GraphQL.\n  \"\"\") }",
        )
        .unwrap();
        assert_eq!(
            field(&doc).arguments[0].1,
            Value::String("Hello,\n  World!\n\nYours, \"\"\" GraphQL.".into())
        );
        let doc = parse("{ f(s: \"\"\"one line\"\"\") }").unwrap();
        assert_eq!(field(&doc).arguments[0].1, Value::String("one line".into()));
    }

    #[test]
    fn comments_commas_bom_and_crlf_are_ignored() {
        let doc = parse("\u{feff}# leading\r\n{ a,, b # trailing\r\n c }").unwrap();
        let Definition::Operation(op) = &doc.definitions[0] else {
            panic!()
        };
        assert_eq!(op.selection_set.items.len(), 3);
    }

    #[test]
    fn errors_name_line_column_and_expectation() {
        let e = parse("query {\n  getTodo(id: ) { id }\n}").unwrap_err();
        assert_eq!(
            e.message,
            "syntax error at line 2, column 15: expected a value, found `)`"
        );
        let e = parse("{ a").unwrap_err();
        assert!(e.message.contains("found the end of the document"), "{e}");
        let e = parse("{ é }").unwrap_err();
        assert!(e.message.contains("line 1, column 3"), "{e}");
        let cases = [
            "",
            "   # only a comment",
            "{}",
            "{ a(x: $) }",
            "{ a(x: 01) }",
            "{ a(x: 1.) }",
            "{ a(x: 1e) }",
            "{ a(x: 1x) }",
            "{ a(x: -) }",
            "{ a(x: 99999999999999999999) }",
            "{ a(x: 1e999) }",
            "{ a(x: \"unterminated) }",
            "{ a(x: \"line\nbreak\") }",
            "{ a(x: \"\\q\") }",
            "{ a(x: \"\\u12\") }",
            "{ a(x: \"\\uD800\") }",
            "{ a(x: \"\"\"open) }",
            "{ a .. }",
            "query Q($a: Int = $b) { a }",
            "query Q($a) { a }",
            "query Q($a: Int { a }",
            "fragment on on T { a }",
            "fragment F T { a }",
            "type Query { a: Int }",
            "{ a } garbage",
            "{ a(x: {b 1}) }",
            "{ ... }",
        ];
        for text in cases {
            let e = parse(text).expect_err(text);
            assert!(!e.message.is_empty(), "{text}");
        }
        assert!(parse("type Query { a: Int }")
            .unwrap_err()
            .message
            .contains("type definitions"));
    }

    #[test]
    fn nesting_is_bounded_without_recursing_past_the_limit() {
        let ok = format!("{}{}", "{ a ".repeat(MAX_DEPTH), "}".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        let deep = format!("{}{}", "{ a ".repeat(100_000), "}".repeat(100_000));
        assert!(parse(&deep).unwrap_err().message.contains("nested deeper"));
        let list = format!("{{ a(x: {}) }}", "[".repeat(100_000));
        assert!(parse(&list).unwrap_err().message.contains("nested deeper"));
        let object = format!("{{ a(x: {}) }}", "{a: ".repeat(100_000));
        assert!(parse(&object)
            .unwrap_err()
            .message
            .contains("nested deeper"));
        let types = format!("query($a: {}Int) {{ a }}", "[".repeat(100_000));
        assert!(parse(&types).unwrap_err().message.contains("nested deeper"));
    }
}
