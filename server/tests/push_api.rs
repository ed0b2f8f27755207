//! The push endpoint over real HTTP: appends, idempotent retries, conflicts, and every bad input
//! refused with a clear error and nothing stored.

mod common;

use common::*;
use serde_json::json;
use server::writer::now_ms;
use shared::member::{MemberCommand, MemberField};

#[tokio::test]
async fn a_push_is_stored_and_answered_with_positions() {
    let server = TestServer::start().await;
    let anna = member(1);
    let device = device_with("desk-1", anna, vec![register("Anna"), sell_monthly(), check_in()]);
    let (status, body) = server.push(&push_of(&device, anna, 0)).await;
    assert_eq!(status, 200, "{body}");
    let result = &body["results"][0];
    assert_eq!(result["status"], "accepted");
    assert_eq!(result["stream"], anna.to_string());
    assert_eq!(result["events"][0]["position"], 1);
    assert_eq!(result["events"][1]["type"], "MembershipSold");
    assert_eq!(result["events"][2]["position"], 3);
    assert_eq!(result["events"][2]["type"], "MemberCheckedIn");
    let log = server.log().await;
    assert_eq!(log.len(), 3);
    assert!(log[0].same_event(&device.pending()[0]));
}

#[tokio::test]
async fn a_retried_push_answers_accepted_again_and_stores_nothing_twice() {
    let server = TestServer::start().await;
    let anna = member(1);
    let device = device_with("desk-1", anna, vec![register("Anna")]);
    let request = push_of(&device, anna, 0);
    let (_, first) = server.push(&request).await;
    let (status, again) = server.push(&request).await;
    assert_eq!(status, 200);
    assert_eq!(again["results"][0]["status"], "accepted");
    assert_eq!(again["results"][0]["events"], first["results"][0]["events"]);
    assert_eq!(server.log().await.len(), 1);
}

#[tokio::test]
async fn a_retry_that_grew_stores_only_the_new_events() {
    let server = TestServer::start().await;
    let anna = member(1);
    let mut device = device_with("desk-1", anna, vec![register("Anna"), sell_monthly()]);
    server.push(&push_of(&device, anna, 0)).await;
    // The answer was lost; meanwhile the desk checked Anna in. The next push holds all three.
    execute(&mut device, anna, check_in(), T0 + 30 * 60_000);
    let (status, body) = server.push(&push_of(&device, anna, 0)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["status"], "accepted");
    assert_eq!(body["results"][0]["events"].as_array().unwrap().len(), 3);
    assert_eq!(server.log().await.len(), 3);
}

#[tokio::test]
async fn a_batch_built_on_an_old_parent_is_rebased_on_the_servers_events_and_its_retry_stores_nothing_twice() {
    let server = TestServer::start().await;
    let anna = member(1);
    let desk1 = device_with("desk-1", anna, vec![register("Anna"), sell_monthly()]);
    server.push(&push_of(&desk1, anna, 0)).await;
    let log = server.log().await;
    // Two desks, both offline, both check Anna in on top of version 2.
    let mut a = common::desk("desk-a", 1);
    let mut b = common::desk("desk-b", 2);
    for d in [&mut a, &mut b] {
        d.apply(shared::replication::StoreOp::Apply { events: log.clone(), cursor: 2 }, T0);
        execute(d, anna, check_in(), T0 + 3_600_000);
    }
    let (_, first) = server.push(&push_of(&a, anna, 2)).await;
    assert_eq!(first["results"][0]["status"], "accepted");
    let (status, second) = server.push(&push_of(&b, anna, 2)).await;
    assert_eq!(status, 200);
    assert_eq!(second["results"][0]["status"], "rebased", "{second}");
    let stored = &second["results"][0]["events"][0];
    assert_eq!(stored["id"], json!(b.pending()[0].id), "the same event id");
    assert_eq!(stored["version"], 4);
    assert_eq!(stored["type"], "MemberCheckInNotCounted");
    assert_eq!(stored["data"]["reason"]["duplicate"]["of_ms"], T0 + 3_600_000);
    let theirs = &second["results"][0]["server_events"];
    assert_eq!(theirs.as_array().unwrap().len(), 1);
    assert_eq!(theirs[0]["device"], "desk-a");
    assert_eq!(theirs[0]["position"], 3);
    assert_eq!(server.log().await.len(), 4);

    // The answer was lost; the desk sends the same push again.
    let (status, retried) = server.push(&push_of(&b, anna, 2)).await;
    assert_eq!(status, 200, "{retried}");
    assert_eq!(retried["results"][0]["status"], "accepted");
    assert_eq!(retried["results"][0]["events"], second["results"][0]["events"]);
    assert_eq!(server.log().await.len(), 4, "nothing stored twice");
}

#[tokio::test]
async fn a_retry_whose_first_part_was_merged_over_another_desk_still_sees_that_desks_change_as_concurrent() {
    let server = TestServer::start().await;
    let anna = member(1);
    let desk1 = device_with("desk-1", anna, vec![register("Anna")]);
    server.push(&push_of(&desk1, anna, 0)).await;
    let log = server.log().await;
    let mut x = common::desk("desk-x", 1);
    let mut y = common::desk("desk-y", 2);
    let change = |field, value: &str| MemberCommand::ChangeMemberDetails { changes: vec![(field, value.to_owned())] };
    for d in [&mut x, &mut y] {
        d.apply(shared::replication::StoreOp::Apply { events: log.clone(), cursor: 1 }, T0);
    }
    // Desk x, offline, renames Anna, then (5 min later) changes her phone; desk y changes the
    // phone too, later still, and pushes first.
    x.execute::<shared::member::Member>(anna, change(MemberField::Name, "Anna Peeters"), T0 + 1_000).unwrap();
    y.execute::<shared::member::Member>(anna, change(MemberField::Phone, "0470 11 11 11"), T0 + 600_000).unwrap();
    server.push(&push_of(&y, anna, 1)).await;
    // x pushes the rename alone; it is merged after y's change, and the answer is lost.
    let (_, first) = server.push(&push_of(&x, anna, 1)).await;
    assert_eq!(first["results"][0]["status"], "merged", "{first}");
    x.execute::<shared::member::Member>(anna, change(MemberField::Phone, "0470 22 22 22"), T0 + 300_000).unwrap();
    let (status, retried) = server.push(&push_of(&x, anna, 1)).await;
    assert_eq!(status, 200, "{retried}");
    let events = retried["results"][0]["events"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{retried}");
    assert_eq!(events[1]["type"], "MemberDetailsOverwritten", "y's phone is the later stamp: {retried}");
    assert_eq!(events[1]["data"]["kept"], "0470 11 11 11");
    // The same as if the first answer had arrived: whatever the network did, the later stamp wins.
    let models = shared::projection::ReadModels::fold(&server.log().await);
    assert_eq!(models.streams[&anna].1["phone"], "0470 11 11 11");
}

#[tokio::test]
async fn concurrent_changes_of_one_member_are_merged_field_by_field() {
    let server = TestServer::start().await;
    let anna = member(1);
    let desk1 = device_with("desk-1", anna, vec![register("Anna")]);
    server.push(&push_of(&desk1, anna, 0)).await;
    let log = server.log().await;
    let mut a = common::desk("desk-a", 1);
    let mut b = common::desk("desk-b", 2);
    let change = |field, value: &str| MemberCommand::ChangeMemberDetails { changes: vec![(field, value.to_owned())] };
    for d in [&mut a, &mut b] {
        d.apply(shared::replication::StoreOp::Apply { events: log.clone(), cursor: 1 }, T0);
    }
    a.execute::<shared::member::Member>(anna, change(MemberField::Phone, "0470 11 22 33"), T0 + 1_000).unwrap();
    b.execute::<shared::member::Member>(anna, change(MemberField::Email, "anna@x.be"), T0 + 2_000).unwrap();
    b.execute::<shared::member::Member>(anna, change(MemberField::Phone, "0470 44 55 66"), T0 + 3_000).unwrap();
    server.push(&push_of(&a, anna, 1)).await;
    let (_, merged) = server.push(&push_of(&b, anna, 1)).await;
    assert_eq!(merged["results"][0]["status"], "merged", "{merged}");
    let events = merged["results"][0]["events"].as_array().unwrap();
    assert_eq!(events[0]["type"], "MemberDetailsChanged", "another field: it simply stands");
    assert_eq!(events[1]["type"], "MemberDetailsMerged", "the same field, with the later stamp");
    assert_eq!(events[1]["data"]["overwritten"], "0470 11 22 33");
    assert_eq!(server.log().await.len(), 4);
}

#[tokio::test]
async fn batches_of_one_push_succeed_or_conflict_independently() {
    let server = TestServer::start().await;
    let (anna, bob) = (member(1), member(2));
    let old = device_with("desk-1", anna, vec![register("Anna")]);
    server.push(&push_of(&old, anna, 0)).await;
    let mut device = device_with("desk-2", anna, vec![register("Anna twin")]);
    device.execute::<shared::member::Member>(bob, register("Bob"), T0).unwrap();
    let mut request = push_of(&device, anna, 0);
    request.batches.extend(push_of(&device, bob, 0).batches);
    let (status, body) = server.push(&request).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["status"], "rejected");
    assert_eq!(body["results"][1]["status"], "accepted");
    assert_eq!(server.log().await.len(), 2);
}

/// One bad request each; every one is refused with a JSON error and leaves the log as it was.
#[tokio::test]
async fn bad_pushes_are_refused_with_a_clear_error_and_change_nothing() {
    let server = TestServer::start().await;
    let anna = member(1);
    let stored = device_with("desk-1", anna, vec![register("Anna")]);
    server.push(&push_of(&stored, anna, 0)).await;
    let before = server.log().await;

    // Bob registered, sold a month, checked in: event 2 is the check-in.
    let device = device_with("desk-2", member(2), vec![register("Bob"), sell_monthly(), check_in()]);
    let good = serde_json::to_value(push_of(&device, member(2), 0)).unwrap();
    let with = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = good.clone();
        f(&mut v);
        v
    };
    let unregistered = device_with("desk-2", member(3), vec![register("Cleo"), sell_monthly(), check_in()]);
    let mut without_registration = push_of(&unregistered, member(3), 0);
    without_registration.batches[0].events.remove(0);
    for (i, e) in without_registration.batches[0].events.iter_mut().enumerate() {
        e.version = i as u64 + 1;
    }
    let mut reused = push_of(&device, member(2), 0);
    reused.batches[0].events[0].id = before[0].id;

    let cases: Vec<(&str, serde_json::Value, u16, &str)> = vec![
        (
            "unknown event type",
            with(&|v| v["batches"][0]["events"][1]["type"] = json!("MemberTeleported")),
            422,
            "unknown_event_type",
        ),
        ("wrong stream format", with(&|v| v["batches"][0]["stream"] = json!("members/2")), 422, "invalid_body"),
        (
            "event of another stream",
            with(&|v| v["batches"][0]["events"][1]["stream"] = json!(member(9).to_string())),
            422,
            "stream_mismatch",
        ),
        (
            "versions not contiguous",
            with(&|v| v["batches"][0]["events"][1]["version"] = json!(3)),
            422,
            "versions_not_contiguous",
        ),
        (
            "versions not after the parent",
            with(&|v| v["batches"][0]["parent_version"] = json!(1)),
            422,
            "versions_not_contiguous",
        ),
        (
            "event data of the wrong type",
            with(&|v| v["batches"][0]["events"][2]["data"]["at_ms"] = json!("noon")),
            422,
            "invalid_event_data",
        ),
        (
            "a check-in dated 1970 (a clock never set, or a forgery)",
            with(&|v| v["batches"][0]["events"][2]["data"]["at_ms"] = json!(0)),
            422,
            "clock_behind",
        ),
        (
            "a check-in back-dated by a day (its id says when it was made)",
            with(&|v| v["batches"][0]["events"][2]["data"]["at_ms"] = json!(T0 - 86_400_000)),
            422,
            "time_mismatch",
        ),
        (
            "a check-in dated a week before the day it was made on",
            with(&|v| v["batches"][0]["events"][2]["data"]["on"] = json!(today().add_days(-7))),
            422,
            "date_mismatch",
        ),
        (
            "a sale dated next year",
            with(&|v| v["batches"][0]["events"][1]["data"]["on"] = json!(today().add_days(365))),
            422,
            "date_mismatch",
        ),
        (
            "a hybrid clock stamp from 1970",
            with(&|v| v["batches"][0]["events"][0]["hlc"]["ms"] = json!(5)),
            422,
            "clock_behind",
        ),
        (
            "unknown schema version",
            with(&|v| v["batches"][0]["events"][0]["schema_version"] = json!(9)),
            422,
            "unknown_schema_version",
        ),
        (
            "a client-chosen position",
            with(&|v| v["batches"][0]["events"][0]["position"] = json!(7)),
            422,
            "position_given",
        ),
        (
            "event data with a key the domain does not know",
            with(&|v| v["batches"][0]["events"][0]["data"]["tax_id"] = json!("000-00-0000")),
            422,
            "invalid_event_data",
        ),
        (
            "a check-in carrying a 3 MB string",
            with(&|v| v["batches"][0]["events"][2]["data"]["note"] = json!("x".repeat(3 * 1024 * 1024))),
            422,
            "invalid_event_data",
        ),
        (
            "a name of 100,000 characters",
            with(&|v| v["batches"][0]["events"][0]["data"]["name"] = json!("N".repeat(100_000))),
            413,
            "event_too_large",
        ),
        (
            "a time written as a float",
            with(&|v| v["batches"][0]["events"][2]["data"]["at_ms"] = json!(1.764e12)),
            422,
            "invalid_event_data",
        ),
        (
            "a name that is only a zero-width space",
            with(&|v| v["batches"][0]["events"][0]["data"]["name"] = json!("\u{200B}")),
            422,
            "rule_broken",
        ),
        (
            "a name with a right-to-left override",
            with(&|v| v["batches"][0]["events"][0]["data"]["name"] = json!("\u{202E}anaL")),
            422,
            "rule_broken",
        ),
        (
            "a name stored decomposed",
            with(&|v| v["batches"][0]["events"][0]["data"]["name"] = json!("Rene\u{301}e")),
            422,
            "rule_broken",
        ),
        (
            "a check-in stamped two hours ahead of the server's clock",
            with(&|v| {
                let ahead = now_ms() + 2 * 3_600_000;
                v["batches"][0]["events"][2]["data"]["at_ms"] = json!(ahead);
                v["batches"][0]["events"][2]["hlc"]["ms"] = json!(ahead);
            }),
            422,
            "clock_ahead",
        ),
        (
            "a registration whose hybrid clock is in 3000 AD",
            with(&|v| v["batches"][0]["events"][0]["hlc"]["ms"] = json!(32_503_680_000_000u64)),
            422,
            "clock_ahead",
        ),
        (
            "a parent version beyond what positions can hold",
            with(&|v| {
                v["batches"][0]["parent_version"] = json!(u64::MAX - 2);
                v["batches"][0]["events"][0]["version"] = json!(u64::MAX - 2);
                v["batches"][0]["events"][1]["version"] = json!(u64::MAX - 1);
                v["batches"][0]["events"][2]["version"] = json!(u64::MAX);
            }),
            422,
            "version_out_of_range",
        ),
        (
            "not a v7 event id",
            with(&|v| v["batches"][0]["events"][0]["id"] = json!("00000000-0000-4000-8000-000000000000")),
            422,
            "invalid_event_id",
        ),
        ("an empty batch", with(&|v| v["batches"][0]["events"] = json!([])), 422, "empty_batch"),
        (
            "a missing field",
            with(&|v| {
                v["batches"][0].as_object_mut().unwrap().remove("parent_version");
            }),
            422,
            "invalid_body",
        ),
        ("an unknown field", with(&|v| v["batches"][0]["events"][0]["extra"] = json!(1)), 422, "invalid_body"),
        (
            "a sale and a check-in of a member never registered",
            serde_json::to_value(&without_registration).unwrap(),
            422,
            "rule_broken",
        ),
        ("an id already stored with other content", serde_json::to_value(&reused).unwrap(), 409, "event_id_reused"),
        (
            "a parent ahead of the stream",
            with(&|v| {
                v["batches"][0]["parent_version"] = json!(5);
                v["batches"][0]["events"][0]["version"] = json!(6);
                v["batches"][0]["events"][1]["version"] = json!(7);
                v["batches"][0]["events"][2]["version"] = json!(8);
            }),
            409,
            "parent_ahead",
        ),
    ];
    for (what, body, status, code) in cases {
        let (got, answer) = server.push_json(&body).await;
        assert_eq!(got, status, "{what}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{what}: {answer}");
        assert!(answer["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}");
        assert_eq!(server.log().await, before, "{what} stored nothing");
    }

    // Not JSON at all, the wrong content type, and a body over the limit.
    let raw = |body: Vec<u8>, content_type: &'static str| {
        server.http.post(server.url("/api/sync/push")).header("content-type", content_type).body(body).send()
    };
    for (what, res, status, code) in [
        ("malformed JSON", raw(b"{\"device\": ".to_vec(), "application/json").await.unwrap(), 400, "malformed_json"),
        (
            "not JSON",
            raw(b"device=1".to_vec(), "application/x-www-form-urlencoded").await.unwrap(),
            415,
            "unsupported_media_type",
        ),
        (
            "too large",
            raw(vec![b' '; shared::protocol::MAX_PUSH_BYTES + 1], "application/json").await.unwrap(),
            413,
            "payload_too_large",
        ),
    ] {
        assert_eq!(res.status().as_u16(), status, "{what}");
        let answer: serde_json::Value = res.json().await.unwrap();
        assert_eq!(answer["error"]["code"], code, "{what}: {answer}");
    }
    assert_eq!(server.log().await, before);
}

#[tokio::test]
async fn a_rule_broken_in_one_batch_stores_no_batch_of_the_push() {
    let server = TestServer::start().await;
    let good = device_with("desk-1", member(1), vec![register("Anna")]);
    let bad = device_with("desk-1", member(2), vec![register("Bob"), sell_monthly()]);
    let mut request = push_of(&good, member(1), 0);
    let mut broken = push_of(&bad, member(2), 0).batches.remove(0);
    broken.events.remove(0);
    broken.events[0].version = 1;
    request.batches.push(broken);
    let (status, body) = server.push(&request).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "rule_broken");
    assert_eq!(body["error"]["stream"], member(2).to_string());
    assert!(body["error"]["message"].as_str().unwrap().contains("no such member"), "{body}");
    assert!(server.log().await.is_empty());
}

#[tokio::test]
async fn a_second_check_in_within_ten_minutes_is_refused_by_the_server_too() {
    let server = TestServer::start().await;
    let anna = member(1);
    let mut device = device_with("desk-1", anna, vec![register("Anna"), sell_monthly(), check_in()]);
    // Forge what a buggy client might send: a second check-in five minutes after the first.
    let mut request = push_of(&device, anna, 0);
    let mut second = request.batches[0].events[2].clone();
    let at_ms = T0 + 22 * 60_000 + 5 * 60_000;
    second.id = shared::new_event_id(at_ms, [7; 10]);
    second.version = 4;
    second.hlc.ms = at_ms;
    second.data["at_ms"] = json!(at_ms);
    request.batches[0].events.push(second);
    let (status, body) = server.push(&request).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("try again in 300 s"), "{body}");
    assert!(server.log().await.is_empty());
    device.log.clear();
}

#[tokio::test]
async fn concurrent_pushes_get_dense_unique_positions_and_one_counted_check_in() {
    let server = std::sync::Arc::new(TestServer::start().await);
    let anna = member(1);
    server.push(&push_of(&device_with("desk-0", anna, vec![register("Anna"), sell_monthly()]), anna, 0)).await;
    let log = server.log().await;
    let mut tasks = vec![];
    for i in 0..40u128 {
        let server = server.clone();
        let log = log.clone();
        tasks.push(tokio::spawn(async move {
            // Half register new members; half race to check Anna in on top of version 2.
            let request = if i % 2 == 0 {
                let commands = vec![register("X"), sell_monthly(), check_in()];
                push_of(&device_with(&format!("d{i}"), member(100 + i), commands), member(100 + i), 0)
            } else {
                let mut d = common::desk(&format!("d{i}"), i as u64);
                d.apply(shared::replication::StoreOp::Apply { events: log, cursor: 2 }, T0);
                execute(&mut d, anna, check_in(), T0 + 3_600_000);
                push_of(&d, anna, 2)
            };
            server.push(&request).await
        }));
    }
    let mut accepted_check_ins = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, 200, "{body}");
        if body["results"][0]["stream"] == anna.to_string() && body["results"][0]["status"] == "accepted" {
            accepted_check_ins += 1;
        }
    }
    assert_eq!(accepted_check_ins, 1, "only one desk's check-in is version 3 of Anna");
    let log = server.log().await;
    assert_eq!(log.len(), 2 + 20 + 20 * 3, "every desk's check-in is stored: one counted, the others rebased");
    for (i, e) in log.iter().enumerate() {
        assert_eq!(e.position, Some(i as u64 + 1));
    }
    let anna_types: Vec<&str> = log.iter().filter(|e| e.stream == anna).map(|e| e.event_type.as_str()).collect();
    assert_eq!(anna_types.iter().filter(|t| **t == "MemberCheckedIn").count(), 1);
    assert_eq!(anna_types.iter().filter(|t| **t == "MemberCheckInNotCounted").count(), 19);
}

#[tokio::test]
async fn a_push_made_against_another_log_is_refused_whole_naming_this_one_and_stores_nothing() {
    let server = TestServer::start().await;
    let anna = member(1);
    let device = device_with("desk-1", anna, vec![register("Anna")]);
    let (status, first) = server.push(&push_of(&device, anna, 0)).await;
    assert_eq!(status, 200, "{first}");
    let epoch: shared::protocol::LogEpoch = serde_json::from_value(first["epoch"].clone()).unwrap();

    // Made against the log this device knew: accepted (a retry, here).
    let mut same = push_of(&device, anna, 0);
    same.epoch = Some(epoch);
    assert_eq!(server.push(&same).await.0, 200);

    // Made against a log that was replaced since (a restore): refused whole, nothing stored.
    let bob = member(2);
    let other = device_with("desk-2", bob, vec![register("Bob")]);
    let mut stale = push_of(&other, bob, 0);
    stale.epoch = Some(shared::protocol::LogEpoch(uuid::Uuid::from_u128(42)));
    let (status, body) = server.push(&stale).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "epoch_changed");
    assert_eq!(body["error"]["epoch"], first["epoch"], "the answer names this server's log");
    assert!(body["error"]["message"].as_str().unwrap().contains("sync again from the start"), "{body}");
    assert_eq!(server.log().await.len(), 1);
}
