//! The realtime endpoint with a raw WebSocket client: handshake auth in all three forms for
//! every mode, per-start auth, events shaped by the selection set, filters, limits, malformed
//! frames, and the socket faults.

// Test code: a failed expectation should stop the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use appsync_core::auth::{sign_request, SigningInput};
use appsync_mock::config::{DEFAULT_API_KEY, DEFAULT_LAMBDA_TOKEN};
use appsync_mock::{AuthMode, ConflictMode, MockConfig, MockServer};
use base64::Engine;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use support::*;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn host(server: &MockServer) -> String {
    server.addr().to_string()
}

fn b64(value: &Value) -> String {
    base64::engine::general_purpose::STANDARD.encode(value.to_string())
}

fn api_key_auth(server: &MockServer) -> Value {
    json!({"host": host(server), "x-api-key": DEFAULT_API_KEY})
}

enum Form {
    Query,
    Subprotocol,
    Headers,
}

async fn open(server: &MockServer, auth: &Value, form: Form) -> Result<Socket, String> {
    let mut url = server.realtime_url();
    if matches!(form, Form::Query) {
        url = format!("{url}?header={}&payload=e30=", urlencode(&b64(auth)));
    }
    let mut request = url.into_client_request().unwrap();
    let mut protocols = "graphql-ws".to_owned();
    if matches!(form, Form::Subprotocol) {
        let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(auth.to_string());
        protocols = format!("graphql-ws, header-{encoded}");
    }
    request
        .headers_mut()
        .insert("sec-websocket-protocol", protocols.parse().unwrap());
    if matches!(form, Form::Headers) {
        for (k, v) in auth.as_object().unwrap() {
            if k != "host" {
                request.headers_mut().insert(
                    k.as_str().parse::<http_name::HeaderName>().unwrap(),
                    v.as_str().unwrap().parse().unwrap(),
                );
            }
        }
    }
    let (socket, response) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(|e| e.to_string())?;
    assert_eq!(response.headers()["sec-websocket-protocol"], "graphql-ws");
    Ok(socket)
}

mod http_name {
    pub use tokio_tungstenite::tungstenite::http::HeaderName;
}

fn urlencode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

async fn send(socket: &mut Socket, value: Value) {
    socket
        .send(Message::Text(value.to_string().into()))
        .await
        .unwrap();
}

/// The next non-`ka` message, or None when the socket closed or nothing came in time.
async fn next(socket: &mut Socket) -> Option<Value> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(3), socket.next())
            .await
            .ok()??
            .ok()?;
        match message {
            Message::Text(t) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                if v["type"] != "ka" {
                    return Some(v);
                }
            }
            Message::Close(_) => return None,
            _ => {}
        }
    }
}

async fn init(socket: &mut Socket) -> Value {
    send(socket, json!({"type": "connection_init"})).await;
    next(socket).await.unwrap()
}

fn start(id: &str, query: &str, variables: Value, authorization: Value) -> Value {
    let data = json!({"query": query, "variables": variables}).to_string();
    json!({"id": id, "type": "start", "payload": {"data": data, "extensions": {"authorization": authorization}}})
}

fn iam_headers(server: &MockServer, path: &str, body: &str) -> Value {
    let url = format!("http://{}{path}", host(server));
    let base = vec![
        (
            "accept".to_owned(),
            "application/json, text/javascript".to_owned(),
        ),
        ("content-encoding".to_owned(), "amz-1.0".to_owned()),
        (
            "content-type".to_owned(),
            "application/json; charset=UTF-8".to_owned(),
        ),
        ("host".to_owned(), host(server)),
    ];
    let input = SigningInput {
        method: "POST",
        url: &url,
        headers: &base,
        body: body.as_bytes(),
        region: "us-east-1",
        service: "appsync",
        time_ms: server.clock().now_ms(),
    };
    let signed = sign_request(&default_credentials(), &input).unwrap();
    let mut object = serde_json::Map::new();
    for (k, v) in base.into_iter().chain(signed) {
        object.insert(k, json!(v));
    }
    Value::Object(object)
}

const ON_CREATE: &str = "subscription S($filter: ModelSubscriptionTodoFilterInput) { onCreateTodo(filter: $filter) { id name } }";

#[tokio::test]
async fn every_handshake_form_and_mode_is_checked_for_real() {
    let server = server(ConflictMode::Automerge).await;
    let user_pool = server.mint_token(AuthMode::UserPools, &json!({})).unwrap();
    let oidc = server.mint_token(AuthMode::Oidc, &json!({})).unwrap();
    let modes = [
        api_key_auth(&server),
        json!({"host": host(&server), "Authorization": user_pool}),
        json!({"host": host(&server), "Authorization": oidc}),
        json!({"host": host(&server), "Authorization": DEFAULT_LAMBDA_TOKEN}),
    ];
    for auth in &modes {
        for form in [Form::Query, Form::Subprotocol, Form::Headers] {
            let mut socket = open(&server, auth, form).await.unwrap();
            let ack = init(&mut socket).await;
            assert_eq!(ack["type"], "connection_ack", "{auth}");
            assert_eq!(ack["payload"]["connectionTimeoutMs"], 300_000);
        }
    }
    let iam = iam_headers(&server, "/graphql/connect", "{}");
    for form in [Form::Query, Form::Subprotocol] {
        let mut socket = open(&server, &iam, form).await.unwrap();
        assert_eq!(init(&mut socket).await["type"], "connection_ack");
    }
    let bad = json!({"host": host(&server), "x-api-key": "da2-wrong"});
    let mut socket = open(&server, &bad, Form::Query).await.unwrap();
    let refused = init(&mut socket).await;
    assert_eq!(refused["type"], "connection_error");
    assert_eq!(
        refused["payload"]["errors"][0]["errorType"],
        "UnauthorizedException"
    );
    assert!(
        next(&mut socket).await.is_none(),
        "the server closes after connection_error"
    );
    let mut unsigned = iam_headers(&server, "/graphql/connect", "{\"tampered\":1}");
    unsigned["host"] = json!(host(&server));
    let mut socket = open(&server, &unsigned, Form::Query).await.unwrap();
    assert_eq!(
        init(&mut socket).await["type"],
        "connection_error",
        "the connect signature covers body {{}}"
    );
}

#[tokio::test]
async fn events_arrive_with_the_subscribers_selection_and_filters() {
    let server = server(ConflictMode::Automerge).await;
    let mut socket = open(&server, &api_key_auth(&server), Form::Query)
        .await
        .unwrap();
    init(&mut socket).await;
    send(
        &mut socket,
        start("all", ON_CREATE, json!({}), api_key_auth(&server)),
    )
    .await;
    assert_eq!(
        next(&mut socket).await.unwrap(),
        json!({"type": "start_ack", "id": "all"})
    );
    send(
        &mut socket,
        start(
            "high",
            ON_CREATE,
            json!({"filter": {"priority": {"gt": 5}}}),
            api_key_auth(&server),
        ),
    )
    .await;
    assert_eq!(next(&mut socket).await.unwrap()["type"], "start_ack");
    let typed = "subscription { onUpdateTodo { __typename id priority } }";
    send(
        &mut socket,
        start("upd", typed, json!({}), api_key_auth(&server)),
    )
    .await;
    assert_eq!(next(&mut socket).await.unwrap()["type"], "start_ack");

    create_todo(
        &server,
        json!({"id": "low", "name": "low", "priority": 1, "description": "not selected"}),
    )
    .await;
    let data = next(&mut socket).await.unwrap();
    assert_eq!(
        data,
        json!({"type": "data", "id": "all", "payload": {"data": {"onCreateTodo": {"id": "low", "name": "low"}}}})
    );
    create_todo(
        &server,
        json!({"id": "high", "name": "high", "priority": 9}),
    )
    .await;
    let mut ids = vec![];
    for _ in 0..2 {
        ids.push(
            next(&mut socket).await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    ids.sort();
    assert_eq!(ids, ["all", "high"]);
    gql(
        &server,
        UPDATE_TODO,
        json!({"input": {"id": "low", "priority": 2, "_version": 1}}),
    )
    .await;
    let update = next(&mut socket).await.unwrap();
    assert_eq!(
        update["payload"]["data"]["onUpdateTodo"],
        json!({"__typename": "Todo", "id": "low", "priority": 2})
    );

    send(&mut socket, json!({"type": "stop", "id": "all"})).await;
    assert_eq!(
        next(&mut socket).await.unwrap(),
        json!({"type": "complete", "id": "all"})
    );
    create_todo(
        &server,
        json!({"id": "after", "name": "after", "priority": 1}),
    )
    .await;
    assert!(
        tokio::time::timeout(Duration::from_millis(300), next(&mut socket))
            .await
            .is_err(),
        "nothing for a stopped subscription"
    );
}

#[tokio::test]
async fn an_explicit_null_in_a_subscription_filter_matches_null() {
    let server = server(ConflictMode::Automerge).await;
    let mut socket = open(&server, &api_key_auth(&server), Form::Query)
        .await
        .unwrap();
    init(&mut socket).await;
    send(
        &mut socket,
        start(
            "n",
            ON_CREATE,
            json!({"filter": {"description": {"eq": null}}}),
            api_key_auth(&server),
        ),
    )
    .await;
    next(&mut socket).await;
    create_todo(
        &server,
        json!({"id": "with", "name": "x", "description": "set"}),
    )
    .await;
    create_todo(&server, json!({"id": "without", "name": "y"})).await;
    assert_eq!(
        next(&mut socket).await.unwrap()["payload"]["data"]["onCreateTodo"]["id"],
        "without"
    );
}

#[tokio::test]
async fn each_start_is_authorized_on_its_own() {
    let server = server(ConflictMode::Automerge).await;
    let mut socket = open(&server, &api_key_auth(&server), Form::Query)
        .await
        .unwrap();
    init(&mut socket).await;
    let secret = "subscription { onCreateSecret { id } }";
    send(
        &mut socket,
        start("s1", secret, json!({}), api_key_auth(&server)),
    )
    .await;
    let denied = next(&mut socket).await.unwrap();
    assert_eq!(
        (
            denied["type"].as_str(),
            denied["payload"]["errors"][0]["errorType"].as_str()
        ),
        (Some("error"), Some("Unauthorized"))
    );
    let token = server.mint_token(AuthMode::UserPools, &json!({})).unwrap();
    send(
        &mut socket,
        start(
            "s2",
            secret,
            json!({}),
            json!({"host": host(&server), "Authorization": token}),
        ),
    )
    .await;
    assert_eq!(
        next(&mut socket).await.unwrap()["type"],
        "start_ack",
        "mixed modes on one connection"
    );
    let data = json!({"query": "subscription { onCreateTodo { id } }"}).to_string();
    let iam = iam_headers(&server, "/graphql", &data);
    send(&mut socket, json!({"id": "s3", "type": "start", "payload": {"data": data, "extensions": {"authorization": iam}}})).await;
    assert_eq!(
        next(&mut socket).await.unwrap()["type"],
        "start_ack",
        "IAM signs each start over its data"
    );
    send(
        &mut socket,
        start(
            "s4",
            "subscription { onCreateTodo { id } }",
            json!({}),
            json!({"host": host(&server), "x-api-key": "bad"}),
        ),
    )
    .await;
    assert_eq!(
        next(&mut socket).await.unwrap()["payload"]["errors"][0]["errorType"],
        "UnauthorizedException"
    );
}

#[tokio::test]
async fn limits_duplicates_and_malformed_frames_get_appsync_errors() {
    let mut config = MockConfig::new(SCHEMA);
    config.max_subscriptions_per_connection = 3;
    let server = MockServer::start(config).await.unwrap();
    let mut socket = open(&server, &api_key_auth(&server), Form::Query)
        .await
        .unwrap();
    init(&mut socket).await;
    for i in 0..3 {
        send(
            &mut socket,
            start(&format!("{i}"), ON_CREATE, json!({}), api_key_auth(&server)),
        )
        .await;
        assert_eq!(next(&mut socket).await.unwrap()["type"], "start_ack");
    }
    send(
        &mut socket,
        start("3", ON_CREATE, json!({}), api_key_auth(&server)),
    )
    .await;
    assert_eq!(
        next(&mut socket).await.unwrap()["payload"]["errors"][0]["errorType"],
        "MaxSubscriptionsReachedError"
    );
    send(&mut socket, json!({"type": "stop", "id": "2"})).await;
    next(&mut socket).await;
    send(
        &mut socket,
        start("1", ON_CREATE, json!({}), api_key_auth(&server)),
    )
    .await;
    assert_eq!(
        next(&mut socket).await.unwrap()["payload"]["errors"][0]["errorType"],
        "DuplicatedOperationError"
    );
    socket
        .send(Message::Text("{not json".into()))
        .await
        .unwrap();
    assert_eq!(next(&mut socket).await.unwrap()["type"], "error");
    send(&mut socket, json!({"type": "bogus"})).await;
    assert_eq!(next(&mut socket).await.unwrap()["type"], "error");
    send(
        &mut socket,
        json!({"id": "x", "type": "start", "payload": {"data": 5}}),
    )
    .await;
    assert_eq!(next(&mut socket).await.unwrap()["type"], "error");
    send(
        &mut socket,
        start(
            "q",
            "query { listTodos { items { id } } }",
            json!({}),
            api_key_auth(&server),
        ),
    )
    .await;
    assert_eq!(next(&mut socket).await.unwrap()["type"], "error");
    send(
        &mut socket,
        start(
            "v",
            "subscription { onCreateTodo { nope } }",
            json!({}),
            api_key_auth(&server),
        ),
    )
    .await;
    assert_eq!(next(&mut socket).await.unwrap()["type"], "error");
    send(
        &mut socket,
        start("ok", ON_CREATE, json!({}), api_key_auth(&server)),
    )
    .await;
    assert_eq!(
        next(&mut socket).await.unwrap()["type"],
        "start_ack",
        "the connection survives garbage"
    );
}

#[tokio::test]
async fn socket_faults_close_withhold_refuse_and_delay() {
    let mut config = MockConfig::new(SCHEMA);
    config.ka_interval_ms = 100;
    let server = MockServer::start(config).await.unwrap();
    let mut socket = open(&server, &api_key_auth(&server), Form::Query)
        .await
        .unwrap();
    init(&mut socket).await;
    let ka = tokio::time::timeout(Duration::from_secs(1), socket.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(ka.into_text().unwrap().as_str(), r#"{"type":"ka"}"#);
    server.faults().withhold_ka(true);
    let mut saw_ka = false;
    while let Ok(Some(Ok(m))) =
        tokio::time::timeout(Duration::from_millis(400), socket.next()).await
    {
        saw_ka |= m.into_text().map(|t| t.contains("\"ka\"")).unwrap_or(false);
    }
    assert!(!saw_ka, "no ka while withheld");
    server.faults().withhold_ka(false);

    server.faults().close_sockets();
    assert!(next(&mut socket).await.is_none(), "closed by the server");

    server.faults().reject_handshakes(1);
    assert!(open(&server, &api_key_auth(&server), Form::Query)
        .await
        .is_err());
    let mut again = open(&server, &api_key_auth(&server), Form::Query)
        .await
        .unwrap();
    init(&mut again).await;

    server.faults().set_ws_delay(Duration::from_millis(250));
    let started = std::time::Instant::now();
    send(
        &mut again,
        start("d", ON_CREATE, json!({}), api_key_auth(&server)),
    )
    .await;
    assert_eq!(next(&mut again).await.unwrap()["type"], "start_ack");
    assert!(started.elapsed() >= Duration::from_millis(250));
}

#[tokio::test]
async fn field_arguments_filter_events_and_an_explicit_null_matches_null() {
    let schema = "type Note @model @auth(rules: [{ allow: owner }, { allow: public }]) { id: ID! text: String! owner: String }";
    let server = MockServer::start(MockConfig::new(schema)).await.unwrap();
    let mut socket = open(&server, &api_key_auth(&server), Form::Query)
        .await
        .unwrap();
    init(&mut socket).await;
    let on_create = "subscription S($owner: String) { onCreateNote(owner: $owner) { id owner } }";
    for (id, variables) in [
        ("any", json!({})),
        ("alice", json!({"owner": "alice"})),
        ("nobody", json!({"owner": null})),
    ] {
        send(
            &mut socket,
            start(id, on_create, variables, api_key_auth(&server)),
        )
        .await;
        assert_eq!(
            next(&mut socket).await.unwrap()["type"],
            "start_ack",
            "{id}"
        );
    }
    let create = "mutation C($input: CreateNoteInput!) { createNote(input: $input) { id } }";
    gql(
        &server,
        create,
        json!({"input": {"id": "n1", "text": "a", "owner": "alice"}}),
    )
    .await;
    gql(&server, create, json!({"input": {"id": "n2", "text": "b"}})).await;
    let mut got = Vec::new();
    for _ in 0..4 {
        let event = next(&mut socket).await.unwrap();
        got.push(format!(
            "{}:{}",
            event["id"].as_str().unwrap(),
            event["payload"]["data"]["onCreateNote"]["id"]
                .as_str()
                .unwrap()
        ));
    }
    got.sort();
    assert_eq!(got, ["alice:n1", "any:n1", "any:n2", "nobody:n2"]);
}
