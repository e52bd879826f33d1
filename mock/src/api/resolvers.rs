//! What each generated root field does to the data, as AppSync's Amplify resolvers do it:
//! list pages (limit applied before the filter, like a DynamoDB scan), sync pages from the base
//! table or the delta log, and writes with `_version` checks under the chosen conflict mode.

use super::tokens::PageToken;
use super::{Api, FieldError};
use crate::clock::iso8601;
use crate::data::Data;
use crate::filter::{Filter, FilterMode};
use crate::schema::ConflictMode;
use serde_json::{json, Map, Value};

type Args = Map<String, Value>;

const DEFAULT_LIMIT: i64 = 100;
const MAX_SYNC_LIMIT: i64 = 1000;
const CONFLICT_MESSAGE: &str = "Conflict resolver rejects mutation.";

fn conditional_failed(data: Option<Value>) -> FieldError {
    FieldError {
        error_type: "DynamoDB:ConditionalCheckFailedException".into(),
        message: "The conditional request failed (Service: DynamoDb, Status Code: 400, Error Code: ConditionalCheckFailedException)".into(),
        data,
    }
}

fn conflict(current: &Value) -> FieldError {
    FieldError {
        error_type: "ConflictUnhandled".into(),
        message: CONFLICT_MESSAGE.into(),
        data: Some(current.clone()),
    }
}

fn parse_filter(args: &Args, key: &str) -> Result<Filter, FieldError> {
    let value = args.get(key).unwrap_or(&Value::Null);
    Filter::parse(value, FilterMode::Query)
        .map_err(|e| FieldError::new("ValidationError", format!("{}: {}", e.path, e.message)))
}

fn limit(args: &Args, max: Option<i64>) -> Result<usize, FieldError> {
    let limit = args
        .get("limit")
        .and_then(Value::as_i64)
        .unwrap_or(DEFAULT_LIMIT);
    if limit < 1 {
        return Err(FieldError::new(
            "ValidationError",
            "limit must be at least 1",
        ));
    }
    Ok(max.map_or(limit, |m| limit.min(m)) as usize)
}

fn is_deleted(item: &Value) -> bool {
    item.get("_deleted").and_then(Value::as_bool) == Some(true)
}

fn version_of(item: &Value) -> i64 {
    item.get("_version").and_then(Value::as_i64).unwrap_or(0)
}

/// AUTOMERGE (PROTOCOL.md §4): the server's scalars stay, lists are merged (the incoming
/// elements not already present are appended, so a client re-sending its whole list does not
/// duplicate it), fields the server lacks or holds as null are taken, omitted fields kept.
fn automerge(current: &Value, input: &Args) -> Value {
    let mut merged = current.clone();
    let Some(target) = merged.as_object_mut() else {
        return merged;
    };
    for (key, incoming) in input {
        if key == "id" || key == "_version" {
            continue;
        }
        match target.get_mut(key) {
            None | Some(Value::Null) => {
                target.insert(key.clone(), incoming.clone());
            }
            Some(Value::Array(existing)) => {
                if let Value::Array(new_items) = incoming {
                    for item in new_items {
                        if !existing.contains(item) {
                            existing.push(item.clone());
                        }
                    }
                }
            }
            Some(_) => {}
        }
    }
    merged
}

impl Api {
    fn versioned(&self) -> bool {
        self.options.conflict != ConflictMode::None
    }

    fn input<'a>(&self, args: &'a Args) -> Result<&'a Args, FieldError> {
        args.get("input")
            .and_then(Value::as_object)
            .ok_or_else(|| FieldError::new("ValidationError", "input must be an object"))
    }

    fn check_condition(&self, args: &Args, current: &Value) -> Result<(), FieldError> {
        let condition = parse_filter(args, "condition")?;
        if condition.matches(current) {
            Ok(())
        } else {
            Err(conditional_failed(None))
        }
    }

    pub(super) fn get(&self, data: &Data, model: &str, args: &Args) -> Result<Value, FieldError> {
        let id = args.get("id").and_then(Value::as_str).unwrap_or_default();
        Ok(data.get(model, id).cloned().unwrap_or(Value::Null))
    }

    pub(super) fn list(&self, data: &Data, model: &str, args: &Args) -> Result<Value, FieldError> {
        let filter = parse_filter(args, "filter")?;
        let limit = limit(args, None)?;
        let after = match args.get("nextToken").and_then(Value::as_str) {
            Some(token) => Some(PageToken::decode(token, model, &['l'])?.k),
            None => None,
        };
        let mut items = Vec::new();
        let mut last = None;
        let mut scan = data.scan(model, after.as_deref()).peekable();
        for _ in 0..limit {
            let Some((id, item)) = scan.next() else { break };
            if filter.matches(item) {
                items.push(item.clone());
            }
            last = Some(id.clone());
        }
        let next = match (last, scan.peek()) {
            (Some(k), Some(_)) => Value::String(
                PageToken {
                    m: model.into(),
                    t: 'l',
                    k,
                    s: None,
                    l: None,
                }
                .encode(),
            ),
            _ => Value::Null,
        };
        Ok(json!({ "items": items, "nextToken": next, "startedAt": null }))
    }

    pub(super) fn sync(
        &self,
        data: &Data,
        model: &str,
        args: &Args,
        now: i64,
    ) -> Result<Value, FieldError> {
        let filter = parse_filter(args, "filter")?;
        let limit = limit(args, Some(MAX_SYNC_LIMIT))?;
        let token = match args.get("nextToken").and_then(Value::as_str) {
            Some(token) => Some(PageToken::decode(token, model, &['f', 'd'])?),
            None => None,
        };
        let (started_at, delta_since) = match &token {
            Some(t) => (t.s.unwrap_or(now), if t.t == 'd' { t.l } else { None }),
            None => {
                let last_sync = args.get("lastSync").and_then(Value::as_i64);
                // A lastSync older than the delta log's window cannot be answered from it.
                let delta = last_sync.filter(|l| *l >= now - self.options.delta_ttl_ms);
                (now, delta)
            }
        };
        let mut items = Vec::new();
        let next = match delta_since {
            Some(since) => {
                let after = match &token {
                    Some(t) => Some(t.k.parse::<u64>().map_err(|_| {
                        FieldError::new("InvalidNextTokenException", "Invalid nextToken provided.")
                    })?),
                    None => None,
                };
                let mut entries = data
                    .delta_since(model, since, after)
                    .filter(|e| e.at_ms <= started_at)
                    .peekable();
                let mut last = None;
                for _ in 0..limit {
                    let Some(entry) = entries.next() else { break };
                    if filter.matches(&entry.item) {
                        items.push(entry.item.clone());
                    }
                    last = Some(entry.seq);
                }
                match (last, entries.peek()) {
                    (Some(seq), Some(_)) => Some(PageToken {
                        m: model.into(),
                        t: 'd',
                        k: seq.to_string(),
                        s: Some(started_at),
                        l: Some(since),
                    }),
                    _ => None,
                }
            }
            None => {
                let after = token.as_ref().map(|t| t.k.clone());
                let mut scan = data.scan(model, after.as_deref()).peekable();
                let mut last = None;
                for _ in 0..limit {
                    let Some((id, item)) = scan.next() else { break };
                    if filter.matches(item) {
                        items.push(item.clone());
                    }
                    last = Some(id.clone());
                }
                match (last, scan.peek()) {
                    (Some(k), Some(_)) => Some(PageToken {
                        m: model.into(),
                        t: 'f',
                        k,
                        s: Some(started_at),
                        l: None,
                    }),
                    _ => None,
                }
            }
        };
        Ok(json!({
            "items": items,
            "nextToken": next.map(|t| t.encode()),
            "startedAt": started_at,
        }))
    }

    pub(super) fn create(
        &self,
        data: &mut Data,
        model: &str,
        args: &Args,
        now: i64,
    ) -> Result<Value, FieldError> {
        let input = self.input(args)?;
        let id = match input.get("id").and_then(Value::as_str) {
            Some(id) if !id.is_empty() => id.to_owned(),
            _ => uuid::Uuid::new_v4().to_string(),
        };
        if let Some(existing) = data.get(model, &id) {
            // The stored item travels with the error so a client replaying its own create can
            // recognise that it already happened.
            return Err(conditional_failed(Some(existing.clone())));
        }
        self.check_condition(args, &Value::Object(Map::new()))?;
        let mut item = Map::new();
        for (k, v) in input {
            if k != "_version" {
                item.insert(k.clone(), v.clone());
            }
        }
        item.insert("id".into(), Value::String(id.clone()));
        let stamp = Value::String(iso8601(now));
        item.entry("createdAt").or_insert_with(|| stamp.clone());
        item.entry("updatedAt").or_insert(stamp);
        if self.versioned() {
            item.insert("_version".into(), json!(1));
            item.insert("_lastChangedAt".into(), json!(now));
            item.insert("_deleted".into(), Value::Null);
        }
        let item = Value::Object(item);
        data.put(model, &id, item.clone(), now, self.versioned())
            .map_err(|e| FieldError::new("InternalFailure", e.to_string()))?;
        Ok(item)
    }

    pub(super) fn update(
        &self,
        data: &mut Data,
        model: &str,
        args: &Args,
        now: i64,
    ) -> Result<Value, FieldError> {
        let input = self.input(args)?;
        let id = input
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let Some(current) = data.get(model, &id).cloned() else {
            return Err(conditional_failed(None));
        };
        let mut updated = if self.versioned() {
            if is_deleted(&current) {
                return Err(conflict(&current));
            }
            let expected = input.get("_version").and_then(Value::as_i64);
            if expected == Some(version_of(&current)) {
                let mut next = current.clone();
                if let Some(target) = next.as_object_mut() {
                    for (k, v) in input.iter().filter(|(k, _)| k.as_str() != "_version") {
                        target.insert(k.clone(), v.clone());
                    }
                }
                next
            } else if self.options.conflict == ConflictMode::Automerge {
                automerge(&current, input)
            } else {
                return Err(conflict(&current));
            }
        } else {
            let mut next = current.clone();
            if let Some(target) = next.as_object_mut() {
                for (k, v) in input {
                    target.insert(k.clone(), v.clone());
                }
            }
            next
        };
        self.check_condition(args, &current)?;
        if let Some(target) = updated.as_object_mut() {
            target.insert("updatedAt".into(), Value::String(iso8601(now)));
            if self.versioned() {
                target.insert("_version".into(), json!(version_of(&current) + 1));
                target.insert("_lastChangedAt".into(), json!(now));
            }
        }
        data.put(model, &id, updated.clone(), now, self.versioned())
            .map_err(|e| FieldError::new("InternalFailure", e.to_string()))?;
        Ok(updated)
    }

    pub(super) fn delete(
        &self,
        data: &mut Data,
        model: &str,
        args: &Args,
        now: i64,
    ) -> Result<Value, FieldError> {
        let input = self.input(args)?;
        let id = input
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let Some(current) = data.get(model, &id).cloned() else {
            return Err(conditional_failed(None));
        };
        if self.versioned() {
            let expected = input.get("_version").and_then(Value::as_i64);
            // A delete cannot be merged: a stale one is a conflict under every strategy.
            if is_deleted(&current) || expected != Some(version_of(&current)) {
                return Err(conflict(&current));
            }
        }
        self.check_condition(args, &current)?;
        if !self.versioned() {
            data.remove(model, &id)
                .map_err(|e| FieldError::new("InternalFailure", e.to_string()))?;
            return Ok(current);
        }
        let mut tombstone = current.clone();
        if let Some(target) = tombstone.as_object_mut() {
            target.insert("_deleted".into(), Value::Bool(true));
            target.insert("_version".into(), json!(version_of(&current) + 1));
            target.insert("_lastChangedAt".into(), json!(now));
            target.insert("updatedAt".into(), Value::String(iso8601(now)));
        }
        data.put(model, &id, tombstone.clone(), now, true)
            .map_err(|e| FieldError::new("InternalFailure", e.to_string()))?;
        Ok(tombstone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn automerge_keeps_server_scalars_merges_lists_and_takes_new_fields() {
        let current =
            json!({"id": "1", "name": "server", "tags": ["a", "b"], "note": null, "_version": 3});
        let input = json!({"id": "1", "name": "client", "tags": ["b", "c"], "note": "n", "extra": 1, "_version": 1});
        let merged = automerge(&current, input.as_object().unwrap());
        assert_eq!(merged["name"], "server");
        assert_eq!(merged["tags"], json!(["a", "b", "c"]));
        assert_eq!(merged["note"], "n");
        assert_eq!(merged["extra"], 1);
        assert_eq!(merged["_version"], 3, "the version is bumped by the caller");
    }
}
