//! The `EventStore` implementation both backends share, stamped out for each by `store_for!`:
//! every club's log read and written through the `club_logs` row that holds its head and epoch.

/// Implements `EventStore` for `$store` (a struct with `pool: sqlx::Pool<$db>` and
/// `cache: Arc<StreamCache>`). The calling module provides `write_tx(&pool)` (a transaction that
/// may write), `LOCK` (appended to a read of a `club_logs` row in it, to lock that row where the
/// transaction does not hold the database's write lock already) and `LOCK_ALL` (a statement that
/// makes every club's appends wait, if `write_tx` does not already) and `NOTIFY` (a statement, with
/// the club as `$1`, that tells other processes of a commit, if the backend can) and `listen(&pool)`
/// (the stream of those announcements, if there is one).
macro_rules! store_for {
    ($db:ty, $store:ty) => {
        /// `club`'s head, read in a write transaction under the club's lock. A club that never
        /// used its log gets its row here (empty, a fresh epoch).
        async fn locked_head(
            tx: &mut sqlx::Transaction<'static, $db>,
            club: &str,
        ) -> Result<super::LogHead, super::StoreError> {
            let sql = format!("SELECT position, epoch FROM club_logs WHERE club = $1{LOCK}");
            let found: Option<(i64, String)> = sqlx::query_as(&sql).bind(club.to_owned()).fetch_optional(&mut **tx).await?;
            let (position, epoch) = match found {
                Some(row) => row,
                None => {
                    // A second writer making the same row waits here for the first, then skips.
                    sqlx::query(
                        "INSERT INTO club_logs (club, position, epoch) VALUES ($1, 0, $2) ON CONFLICT (club) DO NOTHING",
                    )
                    .bind(club.to_owned())
                    .bind(super::fresh_epoch().to_string())
                    .execute(&mut **tx)
                    .await?;
                    sqlx::query_as(&sql).bind(club.to_owned()).fetch_one(&mut **tx).await?
                }
            };
            Ok(super::LogHead { position: position as u64, epoch: super::sql::parse_epoch(&epoch)? })
        }

        /// Gives an epoch to the log kept before clubs existed if it has none yet (migration 0005
        /// copies the one it had).
        async fn give_missing_epochs(pool: &sqlx::Pool<$db>) -> Result<(), super::StoreError> {
            sqlx::query("UPDATE club_logs SET epoch = $1 WHERE epoch = ''")
                .bind(super::fresh_epoch().to_string())
                .execute(pool)
                .await?;
            Ok(())
        }

        /// Brings the read models in step with this app's projections (see `read_models`), with
        /// every club's appends held while it rebuilds.
        async fn rebuild_read_models(pool: &sqlx::Pool<$db>) -> Result<(), super::StoreError> {
            use super::push::LogTx;
            let mut tx = write_tx(pool).await?;
            // The usual start: nothing to rebuild, and no club's appends held for it.
            if tx.read_models_signature().await? == shared::projection::signature() {
                return Ok(());
            }
            if let Some(lock) = LOCK_ALL {
                sqlx::query(lock).execute(&mut *tx).await?;
            }
            if super::read_models::rebuild_if_changed(&mut tx).await? {
                tx.commit().await?;
            }
            Ok(())
        }

        #[async_trait::async_trait]
        impl super::EventStore for $store {
            async fn push_group(
                &self,
                club: shared::ClubId,
                pushes: &[shared::protocol::PushRequest],
                now_ms: u64,
                commit: super::Commit,
            ) -> Result<super::GroupOutcome, super::StoreError> {
                let club = super::club_key(club);
                let mut tx = write_tx(&self.pool).await?;
                // The club's head lock first: concurrent writers to this club (other server
                // processes) then plan against a stream state that cannot change under them
                // before they commit. Other clubs' writers do not wait for it.
                let log = locked_head(&mut tx, &club).await?;
                // Devices' pushes are held to the club's settings; an import or the demo stores a log
                // whose events were decided under the settings of their own time.
                let from_devices = matches!(commit, super::Commit::EachPush);
                let planned =
                    super::push::push_all(&mut tx, &self.cache, &club, pushes, now_ms, log, from_devices).await?;
                if let Some(notify) = NOTIFY.filter(|_| planned.appended_any()) {
                    // Delivered at commit (and only if it commits) to every server listening.
                    sqlx::query(notify).bind(club.clone()).execute(&mut *tx).await?;
                }
                planned.finish(tx, commit, &self.cache).await
            }

            async fn pull(
                &self,
                club: shared::ClubId,
                after: u64,
                limit: u32,
            ) -> Result<Vec<shared::EventEnvelope>, super::StoreError> {
                let sql = format!(
                    "SELECT {} FROM events WHERE club = $1 AND position > $2 ORDER BY position LIMIT $3",
                    super::sql::COLUMNS
                );
                let rows: Vec<super::sql::EventRow> = sqlx::query_as(&sql)
                    .bind(super::club_key(club))
                    .bind(after as i64)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                super::sql::rows_to_events(rows)
            }

            async fn head(&self, club: shared::ClubId) -> Result<super::LogHead, super::StoreError> {
                let club = super::club_key(club);
                let found: Option<(i64, String)> =
                    sqlx::query_as("SELECT position, epoch FROM club_logs WHERE club = $1")
                        .bind(club.clone())
                        .fetch_optional(&self.pool)
                        .await?;
                let Some((position, epoch)) = found else {
                    // A club whose log was never used: its row is made once, in a write.
                    let mut tx = write_tx(&self.pool).await?;
                    let head = locked_head(&mut tx, &club).await?;
                    tx.commit().await?;
                    return Ok(head);
                };
                Ok(super::LogHead { position: position as u64, epoch: super::sql::parse_epoch(&epoch)? })
            }

            async fn listen_commits(&self) -> Result<Option<super::CommitStream>, super::StoreError> {
                listen(&self.pool).await
            }

            async fn heads(&self) -> Result<Vec<(shared::ClubId, super::LogHead)>, super::StoreError> {
                let rows: Vec<(String, i64, String)> =
                    sqlx::query_as("SELECT club, position, epoch FROM club_logs WHERE club <> ''")
                        .fetch_all(&self.pool)
                        .await?;
                rows.into_iter()
                    .map(|(club, position, epoch)| {
                        let club = club.parse().map_err(|e| super::StoreError::Corrupt {
                            position: -1,
                            reason: format!("club {club:?} of a log: {e}"),
                        })?;
                        Ok((club, super::LogHead { position: position as u64, epoch: super::sql::parse_epoch(&epoch)? }))
                    })
                    .collect()
            }

            async fn read_streams(
                &self,
                club: shared::ClubId,
                table: &str,
                after: Option<shared::StreamId>,
                limit: u32,
            ) -> Result<Vec<super::read_models::StreamRow>, super::StoreError> {
                let rows: Vec<(String, i64, String)> = sqlx::query_as(
                    "SELECT stream, version, state FROM read_streams WHERE club = $1 AND tbl = $2 AND stream > $3 \
                     ORDER BY stream LIMIT $4",
                )
                .bind(super::club_key(club))
                .bind(table.to_owned())
                .bind(after.map(|s| s.to_string()).unwrap_or_default())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(super::sql::stream_row).collect()
            }

            async fn read_stream(
                &self,
                club: shared::ClubId,
                stream: shared::StreamId,
            ) -> Result<Option<super::read_models::StreamRow>, super::StoreError> {
                let (table, _) = stream.kind.run(shared::projection::Tables);
                let row: Option<(String, i64, String)> = sqlx::query_as(
                    "SELECT stream, version, state FROM read_streams WHERE club = $1 AND tbl = $2 AND stream = $3",
                )
                .bind(super::club_key(club))
                .bind(table.to_owned())
                .bind(stream.to_string())
                .fetch_optional(&self.pool)
                .await?;
                row.map(super::sql::stream_row).transpose()
            }

            async fn read_rows(
                &self,
                club: shared::ClubId,
                table: &str,
                from: u64,
                after: Option<uuid::Uuid>,
                to: u64,
                limit: u32,
            ) -> Result<Vec<super::read_models::EventRow>, super::StoreError> {
                // Keyset over (sort, id): rows sharing a sort value are never repeated or skipped.
                let sql = format!(
                    "SELECT {} FROM events WHERE club = $1 AND read_tbl = $2 \
                     AND (read_sort > $3 OR (read_sort = $3 AND id > $4)) AND read_sort < $5 \
                     ORDER BY read_sort, id LIMIT $6",
                    super::sql::COLUMNS
                );
                let rows: Vec<super::sql::EventRow> = sqlx::query_as(&sql)
                    .bind(super::club_key(club))
                    .bind(table.to_owned())
                    .bind(from.min(i64::MAX as u64) as i64)
                    .bind(after.map(|id| id.to_string()).unwrap_or_default())
                    .bind(to.min(i64::MAX as u64) as i64)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                let events = super::sql::rows_to_events(rows)?;
                Ok(events.iter().filter_map(|e| super::sql::event_row(table, e)).collect())
            }

            async fn new_epoch(&self, club: shared::ClubId) -> Result<shared::protocol::LogEpoch, super::StoreError> {
                let epoch = super::fresh_epoch();
                sqlx::query(
                    "INSERT INTO club_logs (club, position, epoch) VALUES ($1, 0, $2) \
                     ON CONFLICT (club) DO UPDATE SET epoch = excluded.epoch",
                )
                .bind(super::club_key(club))
                .bind(epoch.to_string())
                .execute(&self.pool)
                .await?;
                Ok(epoch)
            }

            async fn adopt_unowned_log(
                &self,
                club: shared::ClubId,
            ) -> Result<Option<super::LogHead>, super::StoreError> {
                let key = super::club_key(club);
                let mut tx = write_tx(&self.pool).await?;
                // The club's row exists first, so that both rows can be locked; in key order
                // ('' first), as every other adoption takes them.
                locked_head(&mut tx, &key).await?;
                let sql = format!(
                    "SELECT club, position, epoch FROM club_logs WHERE club IN ($1, $2) ORDER BY club{LOCK}"
                );
                let rows: Vec<(String, i64, String)> = sqlx::query_as(&sql)
                    .bind(super::UNOWNED)
                    .bind(key.clone())
                    .fetch_all(&mut *tx)
                    .await?;
                let Some((_, position, epoch)) = rows.iter().find(|r| r.0 == super::UNOWNED).cloned() else {
                    return Ok(None);
                };
                if rows.iter().any(|r| r.0 == key && r.1 > 0) {
                    return Err(super::StoreError::ClubNotEmpty(club));
                }
                // The club's row takes the old head and epoch (a writer waiting on it then sees
                // them), and everything of the old log becomes the club's.
                sqlx::query("UPDATE club_logs SET position = $1, epoch = $2 WHERE club = $3")
                    .bind(position)
                    .bind(epoch.clone())
                    .bind(key.clone())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM club_logs WHERE club = $1").bind(super::UNOWNED).execute(&mut *tx).await?;
                for table in ["events", "read_streams"] {
                    sqlx::query(&format!("UPDATE {table} SET club = $1 WHERE club = $2"))
                        .bind(key.clone())
                        .bind(super::UNOWNED)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(Some(super::LogHead { position: position as u64, epoch: super::sql::parse_epoch(&epoch)? }))
            }
        }
    };
}
pub(super) use store_for;
