//! What the generated dispatch, driver and typestate do, cell kind by cell kind.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};

use common::*;
use lockstep::{
    Accepts, Bare, CellKind, Driver, Machine, Message, Outcome, Posted, Reason, StateId,
};

const CLOSED: StateId = StateId(0);
const OPENED: StateId = StateId(1);
const JAMMED: StateId = StateId(2);

#[test]
fn move_cell_runs_handler_and_reports_both_states() {
    let mut house = House::default();
    let (door, outcome) = Door::Closed.dispatch(&mut house, Open);
    assert_eq!(door, Door::Opened(vec![]));
    assert!(matches!(
        outcome,
        Outcome::Moved {
            from: CLOSED,
            to: OPENED,
            level: 0,
            reply: ()
        }
    ));
    assert!(outcome.changed_state());
}

#[test]
fn stay_cell_mutates_data_in_place_and_replies() {
    let mut house = House::default();
    let (door, outcome) = Door::Opened(vec![1]).dispatch(&mut house, Deliver(2));
    assert_eq!(door, Door::Opened(vec![1, 2]));
    assert!(matches!(outcome, Outcome::Stayed { state: OPENED, .. }));
    let (_, outcome) = door.dispatch(&mut house, Count);
    assert!(matches!(outcome, Outcome::Stayed { reply: 2, .. }));
}

#[test]
fn stay_cell_of_a_unit_state_runs_its_handler() {
    let mut house = House::default();
    let (door, outcome) = Door::Closed.dispatch(&mut house, Knock);
    assert_eq!(door, Door::Closed);
    assert!(matches!(outcome, Outcome::Stayed { state: CLOSED, .. }));
    assert_eq!(house.knocks, 1);
}

#[test]
fn multi_target_cell_goes_where_the_handler_chooses() {
    let mut house = House::default();
    let (door, outcome) = Door::Opened(vec![7]).dispatch(&mut house, Slam { hard: true });
    assert_eq!(door, Door::Jammed);
    assert!(matches!(
        outcome,
        Outcome::Moved {
            from: OPENED,
            to: JAMMED,
            level: 0,
            reply: true
        }
    ));
    let (door, outcome) = Door::Opened(vec![8]).dispatch(&mut house, Slam { hard: false });
    assert_eq!(door, Door::Closed);
    assert!(matches!(
        outcome,
        Outcome::Moved {
            to: CLOSED,
            reply: false,
            ..
        }
    ));
    assert_eq!(house.stored, vec![7, 8]);
}

#[test]
fn discard_drops_on_purpose_without_running_anything() {
    let mut house = House::default();
    let (door, outcome) = Door::Closed.dispatch(&mut house, Close);
    assert_eq!(door, Door::Closed);
    assert!(matches!(outcome, Outcome::Discarded { state: CLOSED, .. }));
    assert_eq!(house, House::default());
}

#[test]
fn defer_hands_the_message_back_to_the_queue_keeper() {
    let mut house = House::default();
    let (door, outcome) = Door::Jammed.dispatch(&mut house, Deliver(5));
    assert_eq!(door, Door::Jammed);
    match outcome {
        Outcome::Deferred { state, message } => {
            assert_eq!(state, JAMMED);
            assert_eq!(message, Deliver(5));
        }
        other => panic!("expected Deferred, got {other:?}"),
    }
}

#[test]
fn undeclared_cell_rejects_with_the_message_intact() {
    let mut house = House::default();
    let (door, outcome) = Door::Closed.dispatch(&mut house, Slam { hard: true });
    assert_eq!(door, Door::Closed);
    match outcome {
        Outcome::Rejected {
            state,
            message,
            reason,
        } => {
            assert_eq!(state, CLOSED);
            assert_eq!(reason, lockstep::Reason::NotAccepted);
            assert_eq!(message, Slam { hard: true });
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
}

#[test]
fn driver_send_returns_replies_and_typed_rejections() {
    let mut house = House::default();
    let mut door = Driver::new(Door::Closed);
    let rejected = door.send(&mut house, Count).unwrap_err();
    assert_eq!(rejected.reason, Reason::NotAccepted);
    assert_eq!(rejected.state, "Closed");
    assert_eq!(rejected.machine, "Door");
    assert_eq!(rejected.accepted().collect::<Vec<_>>(), ["Open", "Knock"]);
    assert_eq!(rejected.message, Count);
    assert_eq!(
        rejected.to_string(),
        "Door in state `Closed` does not accept `Count`; `Closed` accepts `Open`, `Knock`"
    );
    door.send(&mut house, Open).unwrap();
    door.send(&mut house, Deliver(1)).unwrap();
    assert_eq!(door.send(&mut house, Count).unwrap(), 1);
    assert!(door.send(&mut house, Slam { hard: true }).unwrap());
    assert_eq!(door.state_name(), "Jammed");
}

#[test]
fn driver_send_hands_a_deferred_message_back() {
    let mut house = House::default();
    let mut door = Driver::new(Door::Closed);
    let rejected = door.send(&mut house, Deliver(3)).unwrap_err();
    assert_eq!(rejected.reason, Reason::Deferred);
    assert_eq!(rejected.into_message(), Deliver(3));
    assert_eq!(door.deferred().len(), 0);
}

#[test]
fn post_defers_and_replays_oldest_first_after_a_state_change() {
    let mut house = House::default();
    let mut door = Driver::new(Door::Closed);
    for parcel in 1..=3 {
        assert_eq!(
            door.post(&mut house, Deliver(parcel)).unwrap(),
            Posted::Deferred
        );
    }
    assert_eq!(door.post(&mut house, Knock).unwrap(), Posted::Handled);
    assert_eq!(door.deferred().len(), 3);
    door.send(&mut house, Open).unwrap(); // the state changes: the three parcels come in, in order
    assert_eq!(door.deferred().len(), 0);
    assert_eq!(door.machine(), Some(&Door::Opened(vec![1, 2, 3])));
}

#[test]
fn a_replayed_message_that_changes_state_restarts_the_replay() {
    // Jammed defers parcels; once open, a parcel that arrives is taken. The queue keeps its order
    // across several state changes.
    let mut house = House::default();
    let mut door = Driver::new(Door::Opened(vec![]));
    assert!(door.send(&mut house, Slam { hard: true }).unwrap());
    door.post(&mut house, Deliver(10)).unwrap();
    door.post(&mut house, Deliver(11)).unwrap();
    door.send(&mut house, Open).unwrap();
    assert_eq!(door.machine(), Some(&Door::Opened(vec![10, 11])));
}

#[test]
fn deferred_queue_is_capped() {
    let mut house = House::default();
    let mut door = Driver::new(Door::Closed).with_defer_capacity(2);
    door.post(&mut house, Deliver(1)).unwrap();
    door.post(&mut house, Deliver(2)).unwrap();
    let full = door.post(&mut house, Deliver(3)).unwrap_err();
    assert_eq!(full.reason, Reason::DeferQueueFull);
    assert_eq!(full.message, Deliver(3));
}

#[test]
fn dead_letters_keep_replayed_messages_the_new_state_rejects() {
    // Jammed defers `Ring`; once open, the door rejects it: it becomes a dead letter, not lost.
    let mut house = House::default();
    let mut door = Driver::new(Door::Jammed);
    door.post(&mut house, Ring).unwrap();
    door.post(&mut house, Deliver(1)).unwrap();
    let deferred: Vec<DoorInput> = door.deferred().cloned().collect();
    assert_eq!(
        deferred,
        vec![DoorInput::Ring(Ring), DoorInput::Deliver(Deliver(1))]
    );
    door.send(&mut house, Open).unwrap();
    assert_eq!(door.take_dead_letters(), vec![DoorInput::Ring(Ring)]);
    assert_eq!(door.machine(), Some(&Door::Opened(vec![1])));
    assert!(door.take_dead_letters().is_empty());
}

#[test]
fn a_panicking_handler_poisons_the_driver_and_nothing_half_moved_is_observable() {
    let mut house = House::default();
    let mut door = Driver::new(Door::Opened(vec![1]));
    let result = catch_unwind(AssertUnwindSafe(|| door.send(&mut house, Explode)));
    assert!(result.is_err());
    assert!(door.is_poisoned());
    assert_eq!(door.machine(), None);
    assert_eq!(door.state_name(), "<poisoned>");
    let rejected = door.send(&mut house, Deliver(9)).unwrap_err();
    assert_eq!(rejected.reason, Reason::Poisoned);
    assert_eq!(rejected.message, Deliver(9));
    assert!(rejected.to_string().contains("panicked"));
}

#[test]
fn typestate_values_take_only_what_their_state_handles() {
    let mut house = House::default();
    let closed = DoorClosed;
    let closed = closed.send(&mut house, Knock); // stay
    let closed = closed.send(&mut house, Close); // discard
    let opened = closed.send(&mut house, Open);
    let opened = opened.send(&mut house, Deliver(4));
    let (opened, count) = opened.send(&mut house, Count);
    assert_eq!(count, 1);
    let (next, jammed) = opened.send(&mut house, Slam { hard: true });
    assert!(jammed);
    match next {
        DoorOpenedOnSlam::Jammed => {
            // A multi-target cell returns its enum; the typestate value is rebuilt from it.
            let opened = DoorJammed.send(&mut house, Open);
            assert!(opened.0.is_empty());
        }
        DoorOpenedOnSlam::Closed => panic!("a hard slam jams"),
    }
    assert_eq!(house.knocks, 1);
    assert_eq!(house.stored, vec![4]);
}

#[test]
fn typestate_converts_to_and_from_the_machine() {
    let door: Door = DoorOpened(vec![1]).into();
    assert_eq!(door, Door::Opened(vec![1]));
    let opened = DoorOpened::try_from(door).unwrap();
    assert_eq!(opened.0, vec![1]);
    let not_jammed = DoorJammed::try_from(Door::Closed).unwrap_err();
    assert_eq!(not_jammed, Door::Closed, "the machine is handed back");
}

#[test]
fn static_description_matches_the_spec() {
    let names: Vec<_> = Door::STATES.iter().map(|s| s.name).collect();
    assert_eq!(names, ["Closed", "Opened", "Jammed"]);
    assert_eq!(
        Door::STATES[0].doc,
        "Closed; parcels wait outside until it opens."
    );
    assert_eq!(
        Door::MESSAGES,
        [
            "Open", "Knock", "Close", "Deliver", "Count", "Slam", "Explode", "Ring"
        ]
    );
    assert_eq!(Door::INITIAL, CLOSED);
    assert_eq!(Door::NAME, "Door");
    assert_eq!(Door::cells().count(), 12);
    let slam = Door::cells()
        .find(|c| c.message == <Door as Accepts<Slam>>::MESSAGE)
        .unwrap();
    assert_eq!(slam.kind, CellKind::Move);
    assert_eq!(slam.targets.collect::<Vec<_>>(), [CLOSED, JAMMED]);
    assert_eq!(Door::Jammed.state(), JAMMED);
    assert_eq!(Door::Opened(vec![]).state_name(), "Opened");
    assert_eq!(Slam::NAME, "Slam");
}

#[test]
fn input_carries_any_message_and_routes_it_back_to_its_type() {
    let input: DoorInput = <Door as Accepts<Deliver>>::input::<Bare>(Deliver(3));
    assert_eq!(
        Door::input_message(&input),
        <Door as Accepts<Deliver>>::MESSAGE
    );
    assert_eq!(format!("{input:?}"), "Deliver(Deliver(3))");
    let copy = input.clone();
    assert_eq!(copy, input);
    assert_ne!(copy, DoorInput::Open(Open));
}

#[test]
fn docs_and_diagrams_describe_every_cell() {
    assert!(lockstep::table::<Door>().contains(
        "| `Closed` (initial) | → Opened | stay | discard | defer | reject | reject | reject | reject |"
    ));
    assert!(lockstep::table::<Door>().contains("→ Closed \\| Jammed"));
    assert!(Door::MERMAID.starts_with("stateDiagram-v2\n    [*] --> Closed\n"));
    assert!(Door::MERMAID.contains("Opened --> Jammed: Slam"));
    assert!(Door::DOT.contains("Opened -> Jammed [label=\"Slam\"];"));
}
