//! The JSON-text paths against the tree paths, property style: many generated results (fields
//! in the document's order or not, missing, null, repeated, of the wrong kind; lists of lists;
//! embedded objects; entities shared across the result) over documents with aliases, fragments
//! and inline fragments on different types, written both ways must give the same records and
//! warnings, and read both ways the same result.

use super::*;
use crate::graphql::ast::SelectionSet;
use crate::graphql::{Fragment, Operation};
use selection::Walk;
use serde_json::json;
use std::sync::Arc;

/// A small deterministic generator (xorshift), so failures replay; `chaos` allows data out
/// of the document's order and repeated keys.
struct Rng(u64, bool);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// JSON whose objects keep their keys in the order (and the repeats) they were generated in.
enum J {
    Raw(String),
    List(Vec<J>),
    Obj(Vec<(String, J)>),
}

fn render(j: &J, out: &mut String) {
    match j {
        J::Raw(text) => out.push_str(text),
        J::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                render(item, out);
            }
            out.push(']');
        }
        J::Obj(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                render(v, out);
            }
            out.push('}');
        }
    }
}

const TYPES: [&str; 3] = ["Todo", "User", "Note"];

fn leaf(rng: &mut Rng, name: &str) -> J {
    let text = match name {
        "id" => match rng.below(10) {
            0 => "7".to_owned(),
            1 => "null".to_owned(),
            _ => format!("\"i{}\"", rng.below(4)),
        },
        "isbn" | "edition" => match rng.below(6) {
            0 => "null".to_owned(),
            1 => "2".to_owned(),
            _ => format!("\"x{}\"", rng.below(3)),
        },
        _ => match rng.below(12) {
            0 => "null".to_owned(),
            1 => "true".to_owned(),
            2 => "-12".to_owned(),
            3 => "1.5e3".to_owned(),
            4 => "18446744073709551615".to_owned(),
            5 => r#""quote \" tab \t é \u00e9 \ud83d\ude00 \\ \/ \b\f\n\r \u0001\u001f\u007f end""#
                .to_owned(),
            6 => r#"{"b": 1, "a": [1, {"z": null, "y": "s"}], "b": 2}"#.to_owned(),
            7 => r#"[1, "two", [3], {"__ref": "X:1"}]"#.to_owned(),
            8 => r#"{"__ref": "Todo:i1"}"#.to_owned(),
            _ => format!("\"v{}\"", rng.below(5)),
        },
    };
    J::Raw(text)
}

/// A value for a field with selection set `set`.
fn value<'d>(rng: &mut Rng, walk: &Walk<'d>, set: &'d SelectionSet, depth: usize) -> J {
    match rng.below(20) {
        0 => J::Raw("null".into()),
        1 => J::Raw(["1", "\"s\"", "false"][rng.below(3)].into()),
        2..=4 if depth < 5 => {
            let n = rng.below(4);
            J::List((0..n).map(|_| value(rng, walk, set, depth + 1)).collect())
        }
        _ => object(rng, walk, set, depth),
    }
}

fn object<'d>(rng: &mut Rng, walk: &Walk<'d>, set: &'d SelectionSet, depth: usize) -> J {
    let typename = TYPES[rng.below(TYPES.len())];
    let fields = walk.fields(set, Some(typename));
    let mut entries: Vec<(String, J)> = Vec::new();
    let typename_first = !rng.1 || rng.chance(60);
    let with_typename = rng.chance(85);
    if with_typename && typename_first {
        entries.push(("__typename".into(), J::Raw(format!("\"{typename}\""))));
    }
    for field in fields.iter() {
        let key = field.response_key();
        if entries.iter().any(|(k, _)| k == key) || rng.chance(4) {
            continue;
        }
        let v = if field.name == "__typename" {
            // An aliased `__typename` may disagree with the real one (the last one written wins).
            let t = if key != "__typename" && rng.chance(30) {
                TYPES[rng.below(TYPES.len())]
            } else {
                typename
            };
            J::Raw(format!("\"{t}\""))
        } else if field.selection_set.items.is_empty() || depth > 6 {
            leaf(rng, &field.name)
        } else {
            value(rng, walk, &field.selection_set, depth + 1)
        };
        entries.push((key.to_owned(), v));
    }
    if with_typename && !typename_first && !entries.iter().any(|(k, _)| k == "__typename") {
        entries.push(("__typename".into(), J::Raw(format!("\"{typename}\""))));
    }
    if rng.chance(20) && !entries.iter().any(|(k, _)| k == "id") {
        // An id that was not selected still keys the object.
        let at = rng.below(entries.len() + 1);
        entries.insert(at, ("id".into(), leaf(rng, "id")));
    }
    if rng.chance(15) {
        let at = rng.below(entries.len() + 1);
        entries.insert(at, ("extra".into(), leaf(rng, "extra")));
    }
    if rng.1 && rng.chance(5) && entries.len() > 1 {
        let a = rng.below(entries.len());
        let b = rng.below(entries.len());
        entries.swap(a, b);
    }
    if rng.1 && rng.chance(3) && !entries.is_empty() {
        let i = rng.below(entries.len());
        let again = J::Raw(format!("\"again{}\"", rng.below(2)));
        entries.push((entries[i].0.clone(), again));
    }
    J::Obj(entries)
}

const DOCUMENTS: &[&str] = &[
    "query List($limit: Int) { listTodos(limit: $limit) { items { id name description priority owner { id name } } nextToken } }",
    "query { a: todo(id: 1) { id n: name owner { __typename id name } } b: todo(id: 2) { id name } todo(id: 1) { id name } }",
    "query { feed { __typename id ... on Todo { name owner { id name } } ... on User { email name } ...Noted } } fragment Noted on Note { id body tags { id label } }",
    "query { search { id ...Named ... on Todo { owner { id email } } ... { priority } } meta { count stats { min max } } } fragment Named on Todo { name owner { id name } }",
    "query Q($skip: Boolean!) { grid { cells { id v } } list { id other: id name @skip(if: $skip) owner { id } } }",
    "query { node { id owner { id name } author: owner { id email } owner { id email } } t: __typename }",
    "query { books { isbn edition title owner { id } } }",
    "query { node { kind: __typename id ... on Todo { name k2: __typename } } }",
];

fn key_configs() -> Vec<KeyConfig> {
    let mut with_fields = KeyConfig::default();
    with_fields
        .key_fields
        .insert("Todo".into(), vec!["isbn".into(), "edition".into()]);
    let with_fn = KeyConfig {
        key_fn: Some(Arc::new(|o| {
            o.get("name")
                .and_then(Value::as_str)
                .map(|n| format!("N:{n}"))
        })),
        ..KeyConfig::default()
    };
    vec![KeyConfig::default(), with_fields, with_fn]
}

/// Every record of a set in its JSON form.
fn all_records(set: &RecordSet) -> Vec<(String, Value)> {
    set.keys()
        .into_iter()
        .map(|k| {
            let record = Value::Object(set.get(&k).unwrap_or_default());
            (k, record)
        })
        .collect()
}

fn check(operation: &Operation, variables: &Value, text: &str, keys: &KeyConfig) {
    let tree: Value = serde_json::from_str(text).unwrap();
    let by_tree = normalize(operation, Some(variables), &tree, keys);
    let by_text = normalize_text(operation, Some(variables), text, keys).unwrap();
    assert_eq!(
        all_records(&by_text.records),
        all_records(&by_tree.records),
        "records of {text}"
    );
    assert_eq!(by_text.warnings, by_tree.warnings, "warnings of {text}");
    let read_tree = read(operation, Some(variables), &by_tree.records, keys);
    let read_text = read_text(operation, Some(variables), &by_tree.records);
    assert_eq!(
        read_text.data,
        read_tree
            .data
            .as_ref()
            .map(|d| serde_json::to_string(d).unwrap()),
        "read of {text}"
    );
    assert_eq!(read_text.info.missing, read_tree.missing);
    assert_eq!(read_text.info.partial, read_tree.partial);
    assert_eq!(read_text.info.dependencies, read_tree.dependencies);
}

/// Generates `runs` results per document and key config (a `raws` scalar in `raw_percent` of
/// them, else an object; in 30% out of order) and hands each to `check`; returns how many.
fn for_generated(
    seed: u64,
    runs: usize,
    raws: &[&str],
    raw_percent: u64,
    mut check: impl FnMut(&Operation, &Value, &KeyConfig, J),
) -> usize {
    let mut rng = Rng(seed, false);
    let variables = json!({"limit": 3, "skip": false});
    let mut checked = 0;
    for document in DOCUMENTS {
        let operation = Operation::parse(document, None).unwrap();
        let walk = Walk::new(&operation, Some(&variables));
        for keys in key_configs() {
            for _ in 0..runs {
                rng.1 = rng.chance(30);
                let data = if rng.chance(raw_percent) {
                    J::Raw(raws[rng.below(raws.len())].into())
                } else {
                    object(&mut rng, &walk, walk.root, 0)
                };
                check(&operation, &variables, &keys, data);
                checked += 1;
            }
        }
    }
    checked
}

#[test]
fn text_and_tree_paths_agree_on_generated_results() {
    let raws = ["null", "[1,2]", "\"x\"", "3"];
    let checked = for_generated(
        0x9e37_79b9_7f4a_7c15,
        150,
        &raws,
        2,
        |operation, variables, keys, data| {
            let mut text = String::new();
            render(&data, &mut text);
            check(operation, variables, &text, keys);
        },
    );
    assert_eq!(checked, DOCUMENTS.len() * 3 * 150);
    // The custom key function's third goes through a tree by design (uncounted); of the rest,
    // the 70% in the document's order take the text walk all the way.
    let fallbacks = normalize::FALLBACKS.with(|n| n.get());
    eprintln!("{fallbacks} of {checked} text writes started over from a tree");
    assert!(fallbacks < checked / 5, "{fallbacks} of {checked}");
}

#[test]
fn text_paths_agree_on_fragments() {
    let fragment = Fragment::parse(
        "fragment F on Todo { id name owner { id name } ... on Todo { tags { id } } }",
        None,
    )
    .unwrap();
    let keys = KeyConfig::default();
    let text = r#"{"__typename":"Todo","id":"1","name":"a","owner":{"id":"u","__typename":"User","name":"U"},"tags":[{"__typename":"Tag","id":"t"},null]}"#;
    let tree: Value = serde_json::from_str(text).unwrap();
    let by_tree = normalize_fragment(&fragment, "Todo:1", None, &tree, &keys);
    let by_text = normalize_fragment_text(&fragment, "Todo:1", None, text, &keys).unwrap();
    assert_eq!(all_records(&by_text.records), all_records(&by_tree.records));
    assert_eq!(by_text.warnings, by_tree.warnings);
    let read_tree = read_fragment(&fragment, "Todo:1", None, &by_tree.records);
    let read_text = read_fragment_text(&fragment, "Todo:1", None, &by_tree.records);
    assert_eq!(
        read_text.data,
        Some(serde_json::to_string(&read_tree.data.unwrap()).unwrap())
    );
    let absent = read_fragment_text(&fragment, "Todo:2", None, &by_tree.records);
    assert_eq!(absent.data, None);
    assert_eq!(absent.info.missing, ["Todo:2"]);
}

#[test]
fn invalid_text_is_an_error_and_text_reads_report_misses() {
    let operation = Operation::parse(DOCUMENTS[0], None).unwrap();
    let keys = KeyConfig::default();
    assert!(normalize_text(&operation, None, r#"{"listTodos": "#, &keys).is_err());
    assert!(normalize_text(&operation, None, r#"{} trailing"#, &keys).is_err());
    let empty = RecordSet::default();
    let read = read_text(&operation, None, &empty);
    assert_eq!(read.data, None);
    assert_eq!(read.info.missing, ["ROOT_QUERY"]);
    assert_eq!(read.info.partial, json!({}));
}

/// Writes JSON into a write tape as the web package's `tape.js` walks a JS object into one,
/// starting a chunk when the last holds `limit` ops or more.
struct TapeWriter {
    keys: Vec<String>,
    chunks: Vec<TapeChunk>,
    limit: usize,
}

impl TapeWriter {
    fn new(limit: usize) -> Self {
        TapeWriter {
            keys: Vec::new(),
            chunks: Vec::new(),
            limit,
        }
    }
    /// The chunk the next op goes into.
    fn room(&mut self) -> &mut TapeChunk {
        if self.chunks.last().is_none_or(|c| c.ops.len() >= self.limit) {
            self.chunks.push(TapeChunk {
                ascii: true,
                ..TapeChunk::default()
            });
        }
        self.chunks.last_mut().unwrap()
    }
    fn ops(&mut self, ops: &[u32]) {
        self.room().ops.extend_from_slice(ops);
    }
    fn string(&mut self, op: u32, text: &str) {
        let chunk = self.room();
        chunk.ops.push(op);
        chunk.ops.push(text.encode_utf16().count() as u32);
        chunk.strings.push_str(text);
        chunk.ascii &= text.is_ascii();
    }
    fn key(&mut self, key: &str) {
        let k = match self.keys.iter().position(|k| k == key) {
            Some(k) => k,
            None => {
                self.keys.push(key.to_owned());
                self.keys.len() - 1
            }
        };
        self.ops(&[k as u32]);
    }
    fn j(&mut self, j: &J) {
        match j {
            J::Raw(text) => match serde_json::from_str(text).unwrap() {
                Value::Null => self.ops(&[0]),
                Value::Bool(b) => self.ops(&[u32::from(b) + 1]),
                Value::Number(n) => match n.as_i64().and_then(|i| i32::try_from(i).ok()) {
                    Some(i) => self.ops(&[3, i as u32]),
                    None => self.string(5, &n.to_string()),
                },
                Value::String(s) => self.string(4, &s),
                nested => self.j(&tree(&nested)),
            },
            J::List(items) => {
                self.ops(&[8, items.len() as u32]);
                items.iter().for_each(|item| self.j(item));
            }
            J::Obj(entries) => {
                self.ops(&[7]);
                for (k, v) in entries {
                    self.key(k);
                    self.j(v);
                }
                self.ops(&[TAPE_OBJECT_END]);
            }
        }
    }
}

/// A `Value` as `J` (objects in the map's order).
fn tree(value: &Value) -> J {
    match value {
        Value::Array(items) => J::List(items.iter().map(tree).collect()),
        Value::Object(map) => J::Obj(map.iter().map(|(k, v)| (k.clone(), tree(v))).collect()),
        scalar => J::Raw(scalar.to_string()),
    }
}

/// `j` with every raw part as `serde_json` writes its value: the text a tape of `j` stands for.
fn canonical(j: &J) -> J {
    match j {
        J::Raw(text) => J::Raw(serde_json::from_str::<Value>(text).unwrap().to_string()),
        J::List(items) => J::List(items.iter().map(canonical).collect()),
        J::Obj(entries) => J::Obj(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), canonical(v)))
                .collect(),
        ),
    }
}

fn normalize_chunks(
    operation: &Operation,
    variables: &Value,
    keys: &[String],
    chunks: &[TapeChunk],
    config: &KeyConfig,
) -> Result<Normalized, TapeError> {
    let mut source = |i: usize| chunks.get(i).cloned();
    let mut tape = WriteTape {
        keys,
        size: 0,
        chunks: &mut source,
    };
    normalize_tape(operation, Some(variables), &mut tape, config)
}

#[test]
fn tape_and_text_paths_agree_on_generated_results() {
    let raws = ["null", "[1,2]", "\"x\"", "3", "-7.25"];
    let checked = for_generated(
        0x2545_f491_4f6c_dd1d,
        60,
        &raws,
        3,
        |operation, variables, keys, data| {
            let data = canonical(&data);
            let mut text = String::new();
            render(&data, &mut text);
            let by_text = normalize_text(operation, Some(variables), &text, keys).unwrap();
            // Every chunk boundary the walker could make, and one chunk.
            for limit in [1, 2, 3, 7, usize::MAX] {
                let mut writer = TapeWriter::new(limit);
                writer.j(&data);
                let by_tape =
                    normalize_chunks(operation, variables, &writer.keys, &writer.chunks, keys)
                        .unwrap_or_else(|e| panic!("{e} for {text}"));
                assert_eq!(
                    all_records(&by_tape.records),
                    all_records(&by_text.records),
                    "records of {text} in chunks of {limit}"
                );
                assert_eq!(by_tape.warnings, by_text.warnings, "warnings of {text}");
            }
        },
    );
    assert_eq!(checked, DOCUMENTS.len() * 3 * 60);
}

#[test]
fn a_tape_that_holds_no_json_is_an_error() {
    let operation = Operation::parse(DOCUMENTS[0], None).unwrap();
    let variables = json!({"limit": 3});
    let config = KeyConfig::default();
    let keys = vec!["listTodos".to_owned(), "nextToken".to_owned()];
    let chunk = |ops: &[u32], strings: &str| TapeChunk {
        ops: ops.to_vec(),
        strings: strings.to_owned(),
        ascii: strings.is_ascii(),
    };
    let end = TAPE_OBJECT_END;
    let good = [chunk(&[7, 0, 7, 1, 4, 2, end, end], "ab")];
    let written = normalize_chunks(&operation, &variables, &keys, &good, &config).unwrap();
    assert_eq!(written.warnings.len(), 2, "{:?}", written.warnings);
    let bad: Vec<(&str, Vec<TapeChunk>)> = vec![
        ("nothing", vec![]),
        ("cut short", vec![chunk(&[7, 0, 7, 1, 4, 2, end], "ab")]),
        (
            "an argument in the next chunk",
            vec![chunk(&[7, 0, 7, 1, 4], ""), chunk(&[2, end, end], "ab")],
        ),
        ("an unknown op", vec![chunk(&[7, 0, 6, end], "")]),
        ("a key it does not have", vec![chunk(&[7, 9, 0, end], "")]),
        (
            "a string past its text",
            vec![chunk(&[7, 0, 7, 1, 4, 3, end, end], "ab")],
        ),
        (
            "text left over",
            vec![chunk(&[7, 0, 7, 1, 4, 1, end, end], "ab")],
        ),
        (
            "a string cut inside a character",
            vec![TapeChunk {
                ascii: true,
                ..chunk(&[7, 0, 7, 1, 4, 1, end, end], "é")
            }],
        ),
        (
            "half of a surrogate pair",
            vec![chunk(&[7, 0, 7, 1, 4, 1, end, end], "😀")],
        ),
        (
            "a number that is not one",
            vec![chunk(&[7, 1, 5, 3, end], "1x2")],
        ),
        ("something after the data", vec![chunk(&[7, end, 0], "")]),
        (
            "a chunk after the data",
            vec![chunk(&[7, end], ""), chunk(&[0], "")],
        ),
        (
            "a list longer than the tape",
            vec![chunk(&[7, 0, 8, u32::MAX, end], "")],
        ),
    ];
    for (what, chunks) in bad {
        let outcome = normalize_chunks(&operation, &variables, &keys, &chunks, &config);
        assert!(
            outcome.is_err(),
            "{what}: {:?}",
            outcome.map(|n| n.warnings)
        );
    }
    // UTF-16 lengths: "é😀" is 3 units, 6 bytes.
    let text = [chunk(&[7, 0, 7, 1, 4, 3, end, end], "é😀")];
    assert!(normalize_chunks(&operation, &variables, &keys, &text, &config).is_ok());
}

#[test]
fn tapes_nest_as_deep_as_json_text_does() {
    let operation = Operation::parse("query { a }", None).unwrap();
    let variables = json!({});
    let config = KeyConfig::default();
    for depth in [126, 127, 128] {
        let text = format!("{{\"a\":{}1{}}}", "[".repeat(depth), "]".repeat(depth));
        let mut nested = TapeWriter::new(usize::MAX);
        nested.ops(&[7, 0]);
        for _ in 0..depth {
            nested.ops(&[8, 1]);
        }
        nested.ops(&[3, 1, TAPE_OBJECT_END]);
        nested.keys = vec!["a".into()];
        let by_text = normalize_text(&operation, Some(&variables), &text, &config);
        let by_tape = normalize_chunks(
            &operation,
            &variables,
            &nested.keys,
            &nested.chunks,
            &config,
        );
        assert_eq!(by_text.is_ok(), by_tape.is_ok(), "at depth {depth}");
        if let (Ok(a), Ok(b)) = (by_text, by_tape) {
            assert_eq!(all_records(&a.records), all_records(&b.records));
        }
    }
}

/// A record emptied by a merge (a big shared author, met again) is reused only by an object
/// that would get the same room: a small new record next to it (a tag) must not keep the big
/// one's room in the cache.
#[test]
fn a_new_record_from_text_has_the_room_of_its_fields_only() {
    let letters = "abcdefghijklmn";
    let fields: Vec<String> = letters.chars().map(|c| c.to_string()).collect();
    let document = format!(
        "query Q {{ items {{ id author {{ id {} }} tag {{ id }} }} }}",
        fields.join(" ")
    );
    let operation = Operation::parse(&document, None).unwrap();
    let walk = Walk::new(&operation, None);
    let author: Vec<String> = fields.iter().map(|f| format!(r#""{f}":1"#)).collect();
    let items: Vec<String> = (0..50)
        .map(|i| {
            format!(
                r#"{{"__typename":"Item","id":"i{i}","author":{{"__typename":"User","id":"u1",{}}},"tag":{{"__typename":"Tag","id":"t{i}"}}}}"#,
                author.join(",")
            )
        })
        .collect();
    let text = format!(r#"{{"items":[{}]}}"#, items.join(","));
    let keys = KeyConfig::default();
    let mut interner = records::Interner::default();
    let written =
        normalize::normalize_text_into(&mut interner, &walk, "ROOT_QUERY", &text, &keys).unwrap();
    assert!(written.warnings.is_empty(), "{:?}", written.warnings);
    for i in 0..50 {
        let tag = interner.get(&format!("Tag:t{i}")).unwrap();
        let record = &written.records[&tag];
        // `id` and `__typename`.
        assert_eq!(record.len(), 2);
        assert!(
            record.capacity() <= 2,
            "Tag:t{i} has room for {}",
            record.capacity()
        );
    }
}
