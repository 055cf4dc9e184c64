//! Bulk delete: each user deleted only if it still has the values the page showed; what became
//! of each reported; one audit event per deleted user; the limits and the roles.

use crate::helpers::{http_client, spawn_app, TestDb};
use cassandra_users::model::{DeleteOutcome, Role, User};
use cassandra_users::server::audit::Actor;
use cassandra_users::server::Database;
use cassandra_users::validate::validate_user;
use reqwest::StatusCode;
use serde_json::Value;

const CLI: Actor = Actor::CommandLine;

async fn add(db: &TestDb, name: &str, email: &str) -> User {
    let user = validate_user(name, email).unwrap();
    db.users().create(&user, &CLI).await.unwrap()
}

#[tokio::test]
async fn a_bulk_delete_deletes_what_is_unchanged_and_reports_the_rest() {
    let db = TestDb::new(50).await;
    let (ann, bob) = (
        add(&db, "Ann", &db.email("ann")).await,
        add(&db, "Bob", &db.email("bob")).await,
    );
    let (cat, dan) = (
        add(&db, "Cat", &db.email("cat")).await,
        add(&db, "Dan", &db.email("dan")).await,
    );
    // Meanwhile someone renames Cat and deletes Dan.
    let renamed = validate_user("Cat Renamed", &db.email("cat")).unwrap();
    db.users()
        .update(cat.id, None, &renamed, &CLI)
        .await
        .unwrap();
    db.users().delete(dan.id, None, &CLI).await.unwrap();

    let shown = vec![ann.clone(), bob.clone(), cat.clone(), dan.clone()];
    let results = db.users().delete_many(shown, &CLI).await;
    let outcomes: Vec<_> = results.iter().map(|r| (r.id, r.outcome)).collect();
    assert_eq!(
        outcomes,
        [
            (ann.id, DeleteOutcome::Deleted),
            (bob.id, DeleteOutcome::Deleted),
            (cat.id, DeleteOutcome::Conflict),
            (dan.id, DeleteOutcome::NotFound),
        ]
    );
    assert_eq!(
        db.still_there(&[&ann, &bob, &cat, &dan]).await,
        [User {
            name: "Cat Renamed".into(),
            ..cat.clone()
        }]
    );
    for deleted in [&ann, &bob] {
        let history = db.stores.audit.history(deleted.id, None).await.unwrap();
        let deletes = history
            .events
            .iter()
            .filter(|e| e.action == "delete")
            .count();
        assert_eq!(deletes, 1, "one event for {}", deleted.name);
    }
    assert!(
        db.claim_holder(&db.email("ann")).await.is_none(),
        "the email is free again"
    );
    db.drop().await;
}

struct Api {
    url: String,
    db: TestDb,
    client: reqwest::Client,
}

impl Api {
    async fn start() -> Api {
        let db = TestDb::new(50).await;
        let url = spawn_app(Database::connected(db.stores.clone())).await;
        Api {
            url,
            db,
            client: http_client().build().unwrap(),
        }
    }

    /// Posts the fields, repeated as an HTML form sends them, with `role`'s token.
    async fn delete_many(
        &self,
        role: Option<Role>,
        fields: &[(&str, String)],
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .post(format!("{}/api/users/delete-many", self.url))
            .header("accept", "application/json")
            .form(fields);
        if let Some(role) = role {
            request = request.bearer_auth(self.db.token(role).await);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

fn fields_of(users: &[User]) -> Vec<(&'static str, String)> {
    users
        .iter()
        .flat_map(|user| {
            [
                ("id", user.id.to_string()),
                ("expected_name", user.name.clone()),
                ("expected_email", user.email.clone()),
            ]
        })
        .collect()
}

#[tokio::test]
async fn over_http_repeated_fields_in_order_and_one_result_each() {
    let api = Api::start().await;
    let ann = add(&api.db, "Ann", &api.db.email("ann")).await;
    let bob = add(&api.db, "Bob", &api.db.email("bob")).await;
    let stale = User {
        name: "Bob as he was".into(),
        ..bob.clone()
    };
    let (status, json) = api
        .delete_many(Some(Role::Editor), &fields_of(&[ann.clone(), stale]))
        .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(
        json["results"],
        serde_json::json!([
            {"id": ann.id, "outcome": "deleted"},
            {"id": bob.id, "outcome": "conflict"},
        ])
    );
    assert_eq!(api.db.still_there(&[&ann, &bob]).await, [bob]);
    api.db.drop().await;
}

#[tokio::test]
async fn limits_and_roles_have_their_answers() {
    let api = Api::start().await;
    let ann = add(&api.db, "Ann", &api.db.email("ann")).await;
    let one = fields_of(std::slice::from_ref(&ann));

    let (status, _) = api.delete_many(None, &one).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, json) = api.delete_many(Some(Role::Viewer), &one).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{json}");

    let mut uneven = one.clone();
    uneven.pop();
    let (status, json) = api.delete_many(Some(Role::Editor), &uneven).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{json}");
    assert!(
        json["message"].as_str().unwrap().contains("expected_name"),
        "{json}"
    );

    let too_many: Vec<User> = (0..501)
        .map(|n| User {
            id: uuid::Uuid::new_v4(),
            name: format!("Nobody {n}"),
            email: format!("n{n}@example.com"),
        })
        .collect();
    let (status, json) = api
        .delete_many(Some(Role::Editor), &fields_of(&too_many))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{json}");
    assert!(
        json["message"].as_str().unwrap().contains("at most 500"),
        "{json}"
    );

    let huge = vec![
        ("id", ann.id.to_string()),
        ("expected_name", "x".repeat(2 << 20)),
    ];
    let (status, json) = api.delete_many(Some(Role::Editor), &huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{json}");
    assert!(
        json["message"].as_str().unwrap().contains("1 MiB at most"),
        "{json}"
    );

    assert_eq!(
        api.db.still_there(&[&ann]).await,
        std::slice::from_ref(&ann),
        "nothing was deleted"
    );
    api.db.drop().await;
}
