use super::digits::Digits;
use crate::{
    auth::Session,
    error::{ApiError, AppJson},
    state::AppState,
};
use axum::extract::{rejection::QueryRejection, Path, Query, State};
use serde::Deserialize;
use shared::{
    projection::Tables,
    protocol::{
        EventCursor, EventRowsPage, StreamRow, StreamRowsPage, DEFAULT_PULL_LIMIT, MAX_POSITION, MAX_PULL_LIMIT,
    },
    StreamId, StreamKind,
};

/// The read-model tables this app has: a stream table or an event table.
enum Table {
    Streams(StreamKind),
    Events,
}

fn table(name: &str) -> Result<Table, ApiError> {
    for kind in StreamKind::ALL {
        let (streams, events) = kind.run(Tables);
        if streams == name {
            return Ok(Table::Streams(*kind));
        }
        if events.iter().any(|t| t.name == name) {
            return Ok(Table::Events);
        }
    }
    Err(ApiError::NotFound(format!("/api/read/{}", name.chars().take(60).collect::<String>())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadParams {
    /// Stream tables: the last stream of the previous page. Event tables: with `from`, the last
    /// event id of the previous page (rows come strictly after (`from`, `after`)).
    after: Option<String>,
    /// Event tables: the first sort value (inclusive) and the end (exclusive).
    from: Option<Digits>,
    to: Option<Digits>,
    limit: Option<Digits>,
}

/// `GET /api/read/{table}`: a page of the session's club's read model, as the append
/// transactions left it (docs/PROTOCOL.md "Read models").
pub async fn read_table(
    State(state): State<AppState>,
    session: Session,
    Path(name): Path<String>,
    params: Result<Query<ReadParams>, QueryRejection>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let Query(params) = params?;
    let limit = params.limit.map_or(u64::from(DEFAULT_PULL_LIMIT), |Digits(n)| n);
    let limit = match u32::try_from(limit) {
        Ok(limit) if (1..=MAX_PULL_LIMIT).contains(&limit) => limit,
        _ => return Err(ApiError::BadRequest(format!("limit must be between 1 and {MAX_PULL_LIMIT}, got {limit}"))),
    };
    match table(&name)? {
        Table::Streams(kind) => {
            if params.from.is_some() || params.to.is_some() {
                return Err(ApiError::BadRequest(format!("{name} is read by `after` and `limit`, not `from`/`to`")));
            }
            let after = match params.after {
                None => None,
                Some(s) => match s.parse::<StreamId>() {
                    Ok(stream) if stream.kind == kind => Some(stream),
                    _ => {
                        return Err(ApiError::BadRequest(format!(
                            "after must be a {}-<uuid> stream of this table, got {:?}",
                            kind.prefix(),
                            s.chars().take(60).collect::<String>()
                        )))
                    }
                },
            };
            let mut rows = state.store.read_streams(session.club, &name, after, limit + 1).await?;
            let more = rows.len() > limit as usize;
            rows.truncate(limit as usize);
            let next = more.then(|| rows.last().map(|r| r.stream)).flatten();
            Ok(AppJson(StreamRowsPage { rows, next }).into_response())
        }
        Table::Events => {
            let after = match params.after {
                None => None,
                Some(s) => match uuid::Uuid::try_parse(&s) {
                    Ok(id) if params.from.is_some() => Some(id),
                    _ => {
                        return Err(ApiError::BadRequest(format!(
                            "after must be an event id, given with from (as a page's next says), got {:?}",
                            s.chars().take(60).collect::<String>()
                        )))
                    }
                },
            };
            let from = params.from.map_or(0, |Digits(n)| n);
            let to = params.to.map_or(MAX_POSITION, |Digits(n)| n);
            if from > MAX_POSITION || to > MAX_POSITION || from > to {
                return Err(ApiError::BadRequest(format!(
                    "from and to must be between 0 and {MAX_POSITION}, from no later than to; got {from} and {to}"
                )));
            }
            let mut rows = state.store.read_rows(session.club, &name, from, after, to, limit + 1).await?;
            let more = rows.len() > limit as usize;
            rows.truncate(limit as usize);
            let next = more.then(|| rows.last().map(|r| EventCursor { from: r.sort, after: r.id })).flatten();
            Ok(AppJson(EventRowsPage { rows, next }).into_response())
        }
    }
}

/// `GET /api/read/{stream table}/{uuid}`: one stream's row, if it is the session's club's (404
/// otherwise, as for a stream with no events: another club's streams are not this device's to know of).
pub async fn read_one(
    State(state): State<AppState>,
    session: Session,
    Path((name, id)): Path<(String, String)>,
) -> Result<AppJson<StreamRow>, ApiError> {
    let Table::Streams(kind) = table(&name)? else {
        return Err(ApiError::NotFound(format!("/api/read/{name}/…: rows of {name} are read by time, not one by one")));
    };
    // Only the form stream names use (lower-case, hyphenated): one row, one address.
    let Some(id) = uuid::Uuid::try_parse(&id).ok().filter(|parsed| parsed.to_string() == id) else {
        return Err(ApiError::BadRequest(format!(
            "{:?} is not a uuid in its lower-case hyphenated form",
            id.chars().take(60).collect::<String>()
        )));
    };
    let stream = StreamId::new(kind, id);
    match state.store.read_stream(session.club, stream).await? {
        Some(row) => Ok(AppJson(row)),
        None => Err(ApiError::NotFound(format!("/api/read/{name}/{id}: no such {}", kind.prefix()))),
    }
}
