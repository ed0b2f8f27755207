//! Whose pending events go in the next push. The server takes an event only from a staff member
//! signed in on this device (its session cookie), checked against that staff member's role, so:
//! - an event made before accounts existed (no staff) is stamped with the staff member at the
//!   desk, who sends it as theirs;
//! - the events of a staff member no longer signed in here wait until they sign in again (a
//!   stream's later events wait with them: a batch must be contiguous), instead of getting the
//!   whole push refused for everyone;
//! - events another device made (which this one offers back after the server's log was restored)
//!   wait too: the server takes events from the device that made them only, so each device offers
//!   back its own.

use shared::{access::StaffId, DeviceId, EventEnvelope, StreamId};
use std::collections::HashSet;

/// The events of `pending` (any order) that can be pushed now, stamped with their authors.
pub fn ready_to_push(
    mut pending: Vec<EventEnvelope>,
    device: &DeviceId,
    signed_in: &[StaffId],
    active: Option<StaffId>,
) -> Vec<EventEnvelope> {
    pending.sort_by_key(|e| (e.stream, e.version));
    let mut waiting: HashSet<StreamId> = HashSet::new();
    pending
        .into_iter()
        .filter_map(|mut event| {
            if waiting.contains(&event.stream) || event.device != *device {
                waiting.insert(event.stream);
                return None;
            }
            match event.staff.or(active) {
                Some(author) if signed_in.contains(&author) => {
                    event.staff = Some(author);
                    Some(event)
                }
                _ => {
                    waiting.insert(event.stream);
                    None
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::hlc::Hlc;
    use uuid::Uuid;
    use wasm_bindgen_test::*;

    const ANNA: StaffId = StaffId(Uuid::from_u128(1));
    const BO: StaffId = StaffId(Uuid::from_u128(2));

    fn event(member: u128, version: u64, staff: Option<StaffId>) -> EventEnvelope {
        EventEnvelope {
            id: Uuid::from_u128(member * 100 + u128::from(version)),
            stream: StreamId::member(Uuid::from_u128(member)),
            version,
            event_type: "MemberArchived".into(),
            schema_version: 1,
            data: serde_json::json!({}),
            hlc: Hlc { ms: 1, c: 0 },
            device: DeviceId::new("desk").unwrap(),
            staff,
            position: None,
        }
    }

    fn desk() -> DeviceId {
        DeviceId::new("desk").unwrap()
    }

    #[wasm_bindgen_test]
    fn events_another_device_made_are_left_to_that_device() {
        let mut theirs = event(2, 1, Some(ANNA));
        theirs.device = DeviceId::new("other-desk").unwrap();
        let ready = ready_to_push(vec![event(1, 1, Some(ANNA)), theirs], &desk(), &[ANNA], Some(ANNA));
        assert_eq!(ids(&ready), vec![(1, Some(ANNA))]);
    }

    fn ids(events: &[EventEnvelope]) -> Vec<(u64, Option<StaffId>)> {
        events.iter().map(|e| (e.version, e.staff)).collect()
    }

    #[wasm_bindgen_test]
    fn an_event_made_before_accounts_existed_is_sent_as_the_staff_member_at_the_desk() {
        let ready = ready_to_push(vec![event(1, 1, None), event(1, 2, Some(BO))], &desk(), &[ANNA, BO], Some(ANNA));
        assert_eq!(ids(&ready), vec![(1, Some(ANNA)), (2, Some(BO))]);
    }

    #[wasm_bindgen_test]
    fn the_changes_of_someone_signed_out_wait_with_the_rest_of_their_stream() {
        let pending =
            vec![event(1, 1, Some(ANNA)), event(1, 2, Some(BO)), event(1, 3, Some(ANNA)), event(2, 1, Some(ANNA))];
        let ready = ready_to_push(pending, &desk(), &[ANNA], Some(ANNA));
        assert_eq!(ids(&ready), vec![(1, Some(ANNA)), (1, Some(ANNA))]);
        assert_eq!(ready[1].stream, StreamId::member(Uuid::from_u128(2)));
    }

    #[wasm_bindgen_test]
    fn with_nobody_at_the_desk_unstamped_changes_wait() {
        assert!(ready_to_push(vec![event(1, 1, None)], &desk(), &[ANNA], None).is_empty());
    }
}
