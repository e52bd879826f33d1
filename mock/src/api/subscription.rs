//! Subscriptions on the API: a `start` is checked like a query (parse, variables, validation,
//! field auth), its `filter` and field arguments become a predicate, and each mutation event is
//! matched and shaped by the subscriber's own selection set.

use super::execute::{collect_fields, error_entry, fragments_of, to_json, Prepared};
use super::index::Ty;
use super::{Api, GraphQLBody, MutationEvent};
use crate::filter::{Filter, FilterMode};
use crate::schema::AuthMode;
use graphql_parser::query::Value as QValue;
use serde_json::{json, Value};

/// A subscription ready to receive events.
#[derive(Debug)]
pub struct PreparedSubscription {
    /// The subscription field, e.g. `onCreateTodo`.
    pub field: String,
    response_key: String,
    /// The mutations that fire it, from `@aws_subscribe`.
    pub mutations: Vec<String>,
    filter: Filter,
    /// Field arguments given explicitly: the item's field must equal the value (null matches
    /// null or absent); an omitted argument does not filter.
    equalities: Vec<(String, Value)>,
    field_type: Ty,
    prepared: Prepared,
}

fn errors_of(outcome: super::Outcome) -> Vec<Value> {
    match outcome.body.get("errors") {
        Some(Value::Array(errors)) => errors.clone(),
        _ => vec![error_entry("Invalid request", None, None, None, None)],
    }
}

impl Api {
    /// Checks a subscription request made with auth `mode`.
    pub fn prepare_subscription(
        &self,
        body: &GraphQLBody,
        mode: AuthMode,
    ) -> Result<PreparedSubscription, Vec<Value>> {
        let prepared = self.prepare(body).map_err(errors_of)?;
        if prepared.root_type != "Subscription" {
            return Err(vec![error_entry(
                "Only subscription operations can be started over the realtime endpoint",
                Some("UnsupportedOperation"),
                None,
                None,
                None,
            )]);
        }
        let fragments = fragments_of(&prepared.document);
        let fields: Vec<_> = collect_fields(
            "Subscription",
            prepared.selection_set(),
            &fragments,
            &prepared.variables,
        )
        .into_iter()
        .filter(|f| f.name != "__typename")
        .collect();
        let [field] = fields[..] else {
            return Err(vec![error_entry(
                "Validation error of type SubscriptionMultipleRootFields: Subscription operations must have exactly one root field",
                None, None, None, None,
            )]);
        };
        let Some(info) = self.index.field("Subscription", &field.name) else {
            return Err(vec![error_entry(
                &format!("Unknown subscription {}", field.name),
                None,
                None,
                None,
                None,
            )]);
        };
        if !self.permits(info, mode) {
            return Err(vec![error_entry(
                &format!(
                    "Not Authorized to access {} on type Subscription",
                    field.name
                ),
                Some("Unauthorized"),
                None,
                Some(field.position),
                None,
            )]);
        }
        let mut filter = Filter::parse(&Value::Null, FilterMode::Subscription)
            .map_err(|e| vec![error_entry(&e.message, None, None, None, None)])?;
        let mut equalities = Vec::new();
        for (name, value) in &field.arguments {
            if matches!(value, QValue::Variable(v) if !prepared.variables.contains_key(v)) {
                continue;
            }
            let Some(arg) = info.args.iter().find(|a| &a.name == name) else {
                continue;
            };
            let coerced = self
                .index
                .coerce(&to_json(value, &prepared.variables), &arg.ty, name)
                .map_err(|e| {
                    vec![error_entry(
                        &e.message,
                        e.error_type,
                        None,
                        Some(field.position),
                        None,
                    )]
                })?;
            if name == "filter" {
                filter = Filter::parse(&coerced, FilterMode::Subscription).map_err(|e| {
                    vec![error_entry(
                        &format!("{}: {}", e.path, e.message),
                        Some("ValidationError"),
                        None,
                        Some(field.position),
                        None,
                    )]
                })?;
            } else {
                equalities.push((name.clone(), coerced));
            }
        }
        Ok(PreparedSubscription {
            field: field.name.clone(),
            response_key: field.alias.clone().unwrap_or_else(|| field.name.clone()),
            mutations: info.subscribe_mutations.clone(),
            filter,
            equalities,
            field_type: info.ty.clone(),
            prepared,
        })
    }

    /// The `data` payload for `event` if the subscription wants it, shaped by its selection set.
    pub fn subscription_payload(
        &self,
        sub: &PreparedSubscription,
        event: &MutationEvent,
    ) -> Option<Value> {
        if !sub.mutations.iter().any(|m| m == &event.mutation) || !sub.filter.matches(&event.item) {
            return None;
        }
        for (name, expected) in &sub.equalities {
            let actual = event.item.get(name).unwrap_or(&Value::Null);
            if actual != expected {
                return None;
            }
        }
        let fragments = fragments_of(&sub.prepared.document);
        let fields = collect_fields(
            "Subscription",
            sub.prepared.selection_set(),
            &fragments,
            &sub.prepared.variables,
        );
        let field = fields.into_iter().find(|f| f.name == sub.field)?;
        let projected = self.project(
            &event.item,
            &sub.field_type,
            &field.selection_set,
            &fragments,
            &sub.prepared.variables,
        );
        Some(json!({ sub.response_key.clone(): projected }))
    }
}
