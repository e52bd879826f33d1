//! A schema with every kind of field the mock supports (enums, lists, nested non-model types,
//! the AWS scalars) served end to end: create, read back, filter, and reject values of the
//! wrong type.

// Test code: a failed expectation should stop the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use appsync_mock::{MockConfig, MockServer};
use serde_json::json;
use support::*;

const RICH: &str = r#"
enum Status { OPEN DONE }
type Address { street: String! city: String geo: Geo }
type Geo { lat: Float! lng: Float! }
type Order @model @auth(rules: [{ allow: public }]) {
  id: ID!
  status: Status!
  tags: [String!]
  total: Float
  paid: Boolean
  placedAt: AWSDateTime
  day: AWSDate
  time: AWSTime
  stamp: AWSTimestamp
  meta: AWSJSON
  email: AWSEmail
  site: AWSURL
  phone: AWSPhone
  ip: AWSIPAddress
  shipTo: Address
  history: [Status]
}
"#;

const CREATE: &str = "mutation C($input: CreateOrderInput!) { createOrder(input: $input) {
  id status tags total paid placedAt day time stamp meta email site phone ip history
  shipTo { street city geo { lat lng } } } }";

#[tokio::test]
async fn every_field_kind_round_trips_and_filters() {
    let server = MockServer::start(MockConfig::new(RICH)).await.unwrap();
    let input = json!({
        "id": "o1", "status": "OPEN", "tags": ["a", "b"], "total": 12.5, "paid": false,
        "placedAt": "2026-11-21T10:00:00.000Z", "day": "2026-11-21", "time": "10:00:00Z",
        "stamp": 1_790_000_000, "meta": "{\"gift\":true}", "email": "a@example.com",
        "site": "https://example.com", "phone": "+15555550100", "ip": "127.0.0.1",
        "shipTo": {"street": "Main 1", "geo": {"lat": 1.5, "lng": -2.25}}, "history": ["OPEN"]
    });
    let created = gql(&server, CREATE, json!({"input": input})).await;
    assert!(created.body.get("errors").is_none(), "{}", created.body);
    let order = &created.data()["createOrder"];
    assert_eq!(order["shipTo"]["geo"]["lng"], -2.25);
    assert_eq!(order["shipTo"]["city"], serde_json::Value::Null);
    assert_eq!(order["meta"], "{\"gift\":true}");

    gql(
        &server,
        CREATE,
        json!({"input": {"id": "o2", "status": "DONE", "total": 99.0}}),
    )
    .await;
    let list =
        "query L($filter: ModelOrderFilterInput) { listOrders(filter: $filter) { items { id } } }";
    for (filter, expected) in [
        (json!({"status": {"eq": "DONE"}}), vec!["o2"]),
        (json!({"total": {"gt": 20.0}}), vec!["o2"]),
        (json!({"tags": {"contains": "b"}}), vec!["o1"]),
        (json!({"paid": {"eq": false}}), vec!["o1"]),
        (json!({"placedAt": {"beginsWith": "2026-11"}}), vec!["o1"]),
        (json!({"stamp": {"ge": 1_000_000_000}}), vec!["o1"]),
        (json!({"tags": {"attributeType": "list"}}), vec!["o1"]),
        (
            json!({"total": {"attributeType": "number"}}),
            vec!["o1", "o2"],
        ),
    ] {
        let reply = gql(&server, list, json!({"filter": filter})).await;
        let ids: Vec<_> = reply.data()["listOrders"]["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{filter}: {}", reply.body))
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids, expected, "{filter}");
    }

    for bad in [
        json!({"id": "x", "status": "LOST"}),
        json!({"id": "x", "status": "OPEN", "stamp": "soon"}),
        json!({"id": "x", "status": "OPEN", "meta": "{not json"}),
        json!({"id": "x", "status": "OPEN", "shipTo": {"city": "no street"}}),
        json!({"id": "x", "status": "OPEN", "total": "12"}),
    ] {
        let reply = gql(&server, CREATE, json!({"input": bad})).await;
        assert!(
            reply.message().contains("Variable 'input'"),
            "{bad}: {}",
            reply.body
        );
    }
    assert_eq!(server.api().count("Order"), 2);
}
