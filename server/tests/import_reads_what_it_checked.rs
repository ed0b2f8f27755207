//! `faraday import` reads its file twice, checking it whole and then storing it: it stores only
//! events it has checked, so input that cannot be read twice is refused, and a file that changes
//! between the two readings stops the import.

mod common;

use common::{backends::CLUB, *};
use server::{
    store::EventStore,
    transfer::{Import, TransferError},
};
use std::{io::Write, path::Path, process::Stdio, sync::Arc};

/// An export as `faraday export` writes it: `members` members with `per_member` events each.
fn export_lines(members: u128, per_member: usize) -> Vec<String> {
    let mut lines = vec![];
    for n in 0..members {
        let stream = member(2_000_000 + n);
        let mut commands = vec![register(&format!("Exported {n}"))];
        // A membership sold, then check-ins on it.
        commands.extend([sell_monthly()].into_iter().chain(std::iter::repeat_with(check_in)).take(per_member - 1));
        let device = device_with(&format!("old-desk-{}", n % 3), stream, commands);
        for mut e in device.pending() {
            e.position = Some(lines.len() as u64 + 1);
            lines.push(serde_json::to_string(&e).unwrap());
        }
    }
    lines
}

fn write(path: &Path, lines: &[String]) {
    // Truncates and rewrites the same file, as an editor or a copy still running would.
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

/// `lines` with the event on line `line` (1-based) changed by `change`.
fn changed(lines: &[String], line: usize, change: impl FnOnce(&mut serde_json::Value)) -> Vec<String> {
    let mut lines = lines.to_vec();
    let mut event: serde_json::Value = serde_json::from_str(&lines[line - 1]).unwrap();
    change(&mut event);
    lines[line - 1] = event.to_string();
    lines
}

async fn empty_store(dir: &Path) -> (String, Arc<dyn EventStore>) {
    let url = format!("sqlite://{}", dir.join("faraday.db").display());
    let store = server::store::connect(&url).await.unwrap();
    (url, store)
}

#[tokio::test]
async fn an_import_from_a_pipe_is_refused_with_what_to_do_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (url, store) = empty_store(dir.path()).await;
    // `cat export.jsonl | faraday import /dev/stdin`: 3,000 events that a pipe gives only once.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_faraday"))
        .args(["import", "--club", &CLUB.to_string(), "/dev/stdin"])
        .env("DATABASE_URL", &url)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut stdin = child.stdin.take().unwrap();
    let export = export_lines(60, 50).join("\n") + "\n";
    // Refused before it reads: the pipe may close on the writer.
    let writer = std::thread::spawn(move || drop(stdin.write_all(export.as_bytes())));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "refused, not a success: {said}");
    assert!(said.contains("/dev/stdin is a pipe, not a regular file"), "{said}");
    assert!(said.contains("Save it to a file first"), "says what to do: {said}");
    assert_eq!(store.head(CLUB).await.unwrap().position, 0, "nothing stored");
}

#[tokio::test]
async fn a_fifo_or_a_directory_is_refused_at_once_without_waiting_for_a_writer() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("export.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success());
    for (path, kind) in [(fifo.as_path(), "a pipe"), (dir.path(), "a directory")] {
        match Import::open(path) {
            Err(e @ TransferError::NotAFile { .. }) => assert!(e.to_string().contains(kind), "{e}"),
            other => panic!("{} must be refused, got {:?}", path.display(), other.err()),
        }
    }
}

#[tokio::test]
async fn a_file_changed_after_its_check_stops_the_import_before_anything_unchecked_is_stored() {
    // 3 members with 4 events each: lines 1, 5 and 9 register them.
    let original = export_lines(3, 4);
    let extra = export_lines(4, 1).pop().unwrap();
    let future = 32_503_680_000_000u64; // 3000-01-01
    #[rustfmt::skip]
    let table: Vec<(&str, Vec<String>, usize)> = vec![
        // Refused by the checks themselves, on the very line: the hash would only see it at the end.
        ("unknown keys in data", changed(&original, 2, |e| e["data"]["nickname"] = "Bo".into()), 2),
        ("a stamp in the year 3000", changed(&original, 3, |e| e["hlc"]["ms"] = future.into()), 3),
        ("versions 1 and 7", changed(&original, 2, |e| e["version"] = 7.into()), 2),
        // Valid events, just not the ones checked: found by the count or the hash.
        ("another name, the same shape", changed(&original, 5, |e| e["data"]["name"] = "Someone else".into()), 12),
        ("one more event at the end", [original.clone(), vec![extra]].concat(), 13),
        ("the last line cut off", original[..11].to_vec(), 11),
    ];
    for (what, rewritten, stopped_at) in table {
        let dir = tempfile::tempdir().unwrap();
        let (_, store) = empty_store(dir.path()).await;
        let file = dir.path().join("export.jsonl");
        write(&file, &original);
        let checked = Import::open(&file).unwrap().check().unwrap();
        assert_eq!(checked.events(), 12, "{what}");

        write(&file, &rewritten);
        let err = checked.store(&*store, CLUB).await.expect_err(what);
        let message = err.to_string();
        assert!(
            matches!(err, TransferError::Changed { line, stored_before: 0, .. } if line == stopped_at),
            "{what}: {message}"
        );
        assert!(message.contains("changed after it was checked"), "{what}: {message}");
        assert_eq!(store.head(CLUB).await.unwrap().position, 0, "{what}: nothing stored");
    }
}

#[tokio::test]
async fn an_import_stopped_by_a_change_keeps_only_checked_chunks_and_a_rerun_completes_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_, store) = empty_store(dir.path()).await;
    let file = dir.path().join("export.jsonl");
    // 2,500 events: a chunk of 2,000, then one of 500, where line 2,301 registers a member.
    let original = export_lines(50, 50);
    write(&file, &original);
    let checked = Import::open(&file).unwrap().check().unwrap();
    write(&file, &changed(&original, 2_301, |e| e["data"]["name"] = "Someone else".into()));

    let err = checked.store(&*store, CLUB).await.unwrap_err();
    assert!(matches!(err, TransferError::Changed { stored_before: 2_000, .. }), "{err}");
    let stored = store.pull(CLUB, 0, 5_000).await.unwrap();
    assert_eq!(stored.len(), 2_000, "the first chunk, which read as it was checked");
    for (event, line) in stored.iter().zip(&original) {
        let exported: shared::EventEnvelope = serde_json::from_str(line).unwrap();
        assert_eq!(event.id, exported.id);
        assert_eq!(event.data, exported.data);
    }

    write(&file, &original);
    let report = server::transfer::import(&*store, CLUB, &file).await.unwrap();
    assert_eq!(report, server::transfer::ImportReport { read: 2_500, stored: 500 });
    assert_eq!(store.head(CLUB).await.unwrap().position, 2_500);
}

#[tokio::test]
async fn a_file_with_what_a_push_would_refuse_is_refused_on_its_line_and_stores_nothing() {
    // 3 members with 4 events each: lines 1, 5 and 9 register them.
    let original = export_lines(3, 4);
    #[rustfmt::skip]
    let table: Vec<(&str, Vec<String>, usize)> = vec![
        ("an envelope field the server does not know", changed(&original, 6, |e| e["extra"] = 1.into()), 6),
        ("two envelopes on one line", { let mut l = original.clone(); l[2] = format!("{} {}", l[2], l[3]); l }, 3),
        ("a check-in forged into a duplicate of nothing", changed(&original, 7, |e| {
            e["type"] = "MemberCheckInNotCounted".into();
            e["data"] = serde_json::json!({ "at_ms": e["data"]["at_ms"], "reason": { "duplicate": { "of_ms": 1 } } });
        }), 7),
    ];
    for (what, rewritten, line) in table {
        let dir = tempfile::tempdir().unwrap();
        let (_, store) = empty_store(dir.path()).await;
        let file = dir.path().join("export.jsonl");
        write(&file, &rewritten);
        let err = Import::open(&file).unwrap().check().err().unwrap_or_else(|| panic!("{what} must be refused"));
        assert!(matches!(err, TransferError::Invalid { line: l, .. } if l == line), "{what}: {err}");
        assert_eq!(store.head(CLUB).await.unwrap().position, 0, "{what}: nothing stored");
    }
}
