//! The race checker: each scenario's naive machine has its race found with a shortest trace, and
//! each fix explores completely with no violation; then bounds, networks, replay, determinism,
//! random walks, coverage, tree search and the proptest strategy.

#[path = "../examples/scenarios/mod.rs"]
mod scenarios;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use lockstep::check::{
    Explorer, Kind, Limit, Mode, Network, PropertyKind, Replay, Report, Violation,
};
use lockstep::{Machine, Message};
use scenarios::{double_spend, duplicate_delivery, lost_update, privilege, rate_limit};

fn violation(report: &Report) -> &Violation {
    report
        .violation()
        .unwrap_or_else(|| panic!("expected a violation:\n{report}"))
}

fn messages(violation: &Violation) -> Vec<String> {
    violation
        .trace
        .steps
        .iter()
        .map(|s| format!("{} {}", s.client, s.message))
        .collect()
}

fn assert_clean(report: &Report) {
    report.assert_ok();
    assert!(report.complete, "the fix is explored completely:\n{report}");
    assert_eq!(report.mode, Mode::Fingerprints);
}

// ---- the five scenarios --------------------------------------------------------------------

#[test]
fn lost_update_is_found_with_the_shortest_trace() {
    let report = lost_update::naive().run();
    let v = violation(&report);
    assert_eq!(v.property, "no lost update");
    assert_eq!(v.kind, PropertyKind::AtEnd);
    assert_eq!(
        messages(v),
        ["alice Get", "bob Get", "alice Set(1)", "bob Set(1)"]
    );
    assert_eq!(v.trace.steps[0].reply.as_deref(), Some("0"));
    assert_eq!(v.trace.steps[1].reply.as_deref(), Some("0"));
    assert!(!report.complete && report.stopped_at_violation);
}

#[test]
fn lost_update_fix_holds_everywhere() {
    assert_clean(&lost_update::fixed().run());
}

#[test]
fn double_spend_is_found_with_the_shortest_trace() {
    let report = double_spend::naive().run();
    let v = violation(&report);
    assert_eq!(v.property, "never overdrawn");
    assert_eq!(v.kind, PropertyKind::Always);
    assert_eq!(
        messages(v),
        [
            "alice Balance",
            "bob Balance",
            "alice Debit(60)",
            "bob Debit(60)"
        ]
    );
}

#[test]
fn guarded_withdraw_holds_everywhere() {
    assert_clean(&double_spend::fixed().run());
}

#[test]
fn duplicate_delivery_is_found_with_the_shortest_trace() {
    let report = duplicate_delivery::naive().run();
    let v = violation(&report);
    assert_eq!(v.property, "charged once");
    assert_eq!(v.trace.len(), 2);
    assert!(v.trace.steps[0].duplicate_kept);
    assert!(v.trace.steps[1].redelivery);
}

#[test]
fn idempotent_order_holds_under_duplication() {
    let report = duplicate_delivery::fixed().run();
    assert_clean(&report);
    // The repeated `Pay` was delivered and discarded by `Paid`, by the spec.
    assert!(report.coverage.hit("Paid", "Pay"));
    assert!(report.coverage.hit("Unpaid", "Ship")); // deferred, then replayed
}

#[test]
fn privilege_window_is_found_with_the_shortest_trace() {
    let report = privilege::naive().run();
    let v = violation(&report);
    assert_eq!(v.property, "no wipe after revocation");
    assert_eq!(
        messages(v),
        [
            "admin Elevate",
            "security Revoke",
            "admin Wipe { authorized: true }"
        ]
    );
}

#[test]
fn elevated_state_closes_the_window() {
    let report = privilege::fixed().run();
    assert_clean(&report);
    // The late `Wipe` is rejected by `Locked`: no cell, so no handler runs.
    assert!(
        report
            .coverage
            .rejections()
            .any(|c| c.state == "Locked" && c.message == "Wipe")
    );
}

#[test]
fn rate_limit_bypass_is_found_with_the_shortest_trace() {
    let report = rate_limit::naive().run();
    let v = violation(&report);
    assert_eq!(v.trace.len(), 3);
    assert!(v.trace.steps.iter().all(|s| s.message == "Request"));
    assert!(
        v.trace
            .steps
            .iter()
            .all(|s| s.reply.as_deref() == Some("true"))
    );
}

#[test]
fn token_limiter_holds_under_a_flood() {
    assert_clean(&rate_limit::fixed().run());
}

// ---- reductions ----------------------------------------------------------------------------

#[test]
fn symmetry_reduction_finds_the_same_shortest_violation() {
    let reduced = rate_limit::naive().run();
    let full = rate_limit::naive().symmetry(false).run();
    assert_eq!(
        violation(&reduced).trace.len(),
        violation(&full).trace.len()
    );

    let reduced = rate_limit::fixed().run();
    let full = rate_limit::fixed().symmetry(false).run();
    assert!(reduced.is_ok() && full.is_ok() && reduced.complete && full.complete);
    assert!(
        reduced.states < full.states,
        "{} < {}",
        reduced.states,
        full.states
    );
}

/// The benchmark's space: K clients doing R rounds of get → set. Its size is known (the same as
/// stateright's model of it).
fn rounds(k: usize, r: usize) -> Explorer<lost_update::Counter> {
    use lost_update::{Counter, Get, Set, Store};
    Explorer::new(Counter::Ready, Store::default())
        .clients(k, "client", |c| {
            c.ask(Get).then(|n| c.tell(Set(n + 1))).repeat(r)
        })
        .symmetry(false)
        .find_all()
}

#[test]
fn exhaustive_search_counts_the_known_state_space() {
    // The counts of an independent model of the same system: one state per count and client
    // positions (the benchmark's stateright model gives the same).
    let report = rounds(3, 2).run();
    assert!(report.complete);
    assert_eq!((report.states, report.transitions), (904, 1977));
    assert!(
        report.bytes_per_state() <= 16.0,
        "{}",
        report.bytes_per_state()
    );
    // Under symmetry: the counts of the same model with the clients' positions sorted.
    let reduced = rounds(3, 2).symmetry(true).run();
    assert_eq!((reduced.states, reduced.transitions), (211, 450));
    let reduced = rounds(4, 2).symmetry(true).run();
    assert_eq!((reduced.states, reduced.transitions), (1283, 3716));
}

// ---- bounds and completeness ---------------------------------------------------------------

#[test]
fn depth_bound_makes_the_report_incomplete() {
    let report = lost_update::fixed().max_depth(2).run();
    assert!(report.is_ok());
    assert!(!report.complete);
    assert_eq!(report.limit, Some(Limit::Depth(2)));
    assert!(
        report
            .to_string()
            .contains("incomplete: depth bound 2 reached")
    );
}

#[test]
fn state_bound_makes_the_report_incomplete() {
    let report = lost_update::fixed().max_states(3).run();
    assert!(!report.complete);
    assert_eq!(report.limit, Some(Limit::States(3)));
    assert_eq!(report.states, 3);
}

#[test]
fn time_bound_makes_the_report_incomplete() {
    let report = rounds(4, 2).time_limit(Duration::ZERO).run();
    assert!(!report.complete);
    assert_eq!(report.limit, Some(Limit::Time(Duration::ZERO)));
}

#[test]
fn find_all_reports_every_failing_property_and_completes() {
    let report = lost_update::naive()
        .each_step("count never decreases", |(_, before), (_, after)| {
            after.count >= before.count
        })
        .always("count stays below 2", |_, store| store.count < 2)
        .find_all()
        .run();
    assert!(report.complete, "{report}");
    assert!(report.violation_of("no lost update").is_some());
    assert_eq!(violation_len(&report, "count stays below 2"), 4);
    // One round each cannot make the count go down.
    assert!(report.violation_of("count never decreases").is_none());
}

fn violation_len(report: &Report, property: &str) -> usize {
    report
        .violation_of(property)
        .unwrap_or_else(|| panic!("{property} should fail:\n{report}"))
        .trace
        .len()
}

#[test]
fn each_step_property_sees_before_and_after() {
    let report = rounds(2, 2)
        .each_step("count never decreases", |(_, before), (_, after)| {
            after.count >= before.count
        })
        .run();
    // a reads 0; b reads 0, writes 1, reads 1, writes 2; a writes 1.
    assert_eq!(violation_len(&report, "count never decreases"), 6);
}

#[test]
fn assert_ok_panics_with_the_numbered_trace() {
    let report = lost_update::naive().run();
    let panic = catch_unwind(AssertUnwindSafe(|| report.assert_ok())).unwrap_err();
    let text = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(text.contains("property \"no lost update\" (at the end) is violated after 4 steps"));
    assert!(text.contains("1. alice  Get"), "{text}");
    assert!(text.contains("4. bob    Set(1)"), "{text}");
}

// ---- networks and replay -------------------------------------------------------------------

#[derive(Message, Clone, Debug)]
struct Open;
#[derive(Message, Clone, Debug)]
struct Close;

#[derive(Machine, Clone, Debug, Hash, PartialEq)]
enum Door {
    #[initial]
    #[on(Open => Opened)]
    #[defer(Close)]
    Closed,
    #[on(Close => Closed)]
    Opened,
}
impl DoorHandlers for () {}

fn door() -> Explorer<Door> {
    Explorer::new(Door::Closed, ())
        .client("user", |c| c.tell(Open).tell(Close))
        .at_end("closed", |door, ()| *door == Door::Closed)
}

#[test]
fn ordered_network_keeps_each_senders_order() {
    let report = door().network(Network::Ordered).run();
    assert_clean(&report);
    assert_eq!(report.states, 3);
    assert!(!report.coverage.hit("Closed", "Close"));
}

#[test]
fn unordered_network_lets_a_message_overtake() {
    let report = door().network(Network::Unordered).run();
    assert_clean(&report);
    // `Close` overtook `Open`: deferred by `Closed`, then replayed after `Open`.
    assert!(report.coverage.hit("Closed", "Close"));
    assert!(report.states > 3);
}

#[test]
fn replay_is_a_step_of_the_trace() {
    // `Close` comes first and is deferred; `Open` changes the state; `Close` is replayed.
    let report = Explorer::new(Door::Closed, ())
        .client("user", |c| c.tell(Close).tell(Open))
        .at_end("opened", |door, ()| *door == Door::Opened)
        .run();
    let v = violation(&report);
    let kinds: Vec<(Kind, bool)> = v.trace.steps.iter().map(|s| (s.kind, s.replayed)).collect();
    assert_eq!(
        kinds,
        [
            (Kind::Deferred, false),
            (Kind::Moved, false),
            (Kind::Moved, true)
        ]
    );
    assert!(
        v.trace
            .to_string()
            .contains("Close  Opened → Closed  moved (replayed)"),
        "{}",
        v.trace
    );
}

#[test]
fn interleaved_replay_explores_more_orders() {
    let explorer = || {
        Explorer::new(Door::Closed, ())
            .client("closer", |c| c.tell(Close))
            .client("opener", |c| c.tell(Open).tell(Close))
            .at_end("closed", |door, ()| *door == Door::Closed)
    };
    let immediate = explorer().replay(Replay::Immediate).run();
    let interleaved = explorer().replay(Replay::Interleaved).run();
    assert!(immediate.complete && interleaved.complete);
    assert!(interleaved.states > immediate.states);
}

#[derive(Clone, Debug, Default, Hash)]
struct Tally {
    gets: u32,
    sets: u32,
}

#[derive(Machine, Clone, Debug, Hash)]
#[machine(context = Tally)]
enum Register {
    #[initial]
    #[on(lost_update::Get)]
    #[on(lost_update::Set)]
    Ready,
}

impl RegisterHandlers for Tally {
    fn ready_on_get(&mut self, _: lost_update::Get) -> u32 {
        self.gets += 1;
        0
    }
    fn ready_on_set(&mut self, _: lost_update::Set) {
        self.sets += 1;
    }
}

#[test]
fn a_duplicated_ask_is_answered_once() {
    use lost_update::{Get, Set};
    let explorer = || {
        Explorer::new(Register::Ready, Tally::default())
            .client("client", |c| c.ask(Get).then(|n| c.tell(Set(n + 1))))
            .network(Network::Duplicating)
            // The continuation runs once: one `Set`, delivered at most twice.
            .always("one set, at most twice", |_, tally| tally.sets <= 2)
    };
    let report = explorer().run();
    assert_clean(&report);
    let twice = explorer()
        .always("no redelivered get", |_, tally| tally.gets < 2)
        .run();
    let v = violation(&twice);
    assert!(v.trace.steps[0].duplicate_kept, "{}", v.trace);
    assert!(
        v.trace.steps.last().is_some_and(|s| s.redelivery),
        "{}",
        v.trace
    );
    // Two extra deliveries: the one `Set` can arrive three times.
    let more = explorer().redeliveries(2).run();
    assert_eq!(violation(&more).property, "one set, at most twice");
}

// ---- determinism, random walks, tree search, panics ----------------------------------------

#[test]
fn exploration_is_deterministic() {
    let a = rounds(3, 2).run();
    let b = rounds(3, 2).run();
    assert_eq!(
        (a.states, a.transitions, a.depth),
        (b.states, b.transitions, b.depth)
    );
    assert_eq!(a.violations, b.violations);
    assert_eq!(a.coverage, b.coverage);
}

#[test]
fn random_walks_find_the_race_and_are_reproducible() {
    let a = lost_update::naive().random_walks(7, 100);
    let b = lost_update::naive().random_walks(7, 100);
    assert_eq!(violation(&a).trace.len(), 4);
    assert_eq!(a.violations, b.violations);
    assert!(matches!(a.mode, Mode::RandomWalks { seed: 7, .. }));
    assert!(!a.complete);

    let clean = lost_update::fixed().random_walks(7, 50);
    assert!(clean.is_ok() && !clean.complete);
    assert_eq!(clean.mode, Mode::RandomWalks { seed: 7, walks: 50 });
    assert!(clean.to_string().contains("random walks"));
}

#[test]
fn coverage_lists_cells_never_exercised() {
    let report = double_spend::fixed().run();
    let missed: Vec<String> = report.coverage.missed().map(|c| c.to_string()).collect();
    assert_eq!(missed, ["Open × Balance (stay)"]);
    assert!(
        report
            .to_string()
            .contains("never exercised:\n    Open × Balance (stay)")
    );
    assert_eq!(
        (
            report.coverage.declared(),
            report.coverage.declared_exercised()
        ),
        (2, 1)
    );
}

/// A machine whose context has no `Hash`: explored as a tree.
#[derive(Clone, Debug, Default)]
struct Plain {
    count: u32,
}

#[derive(Machine, Clone, Debug)]
#[machine(context = Plain)]
enum PlainCounter {
    #[initial]
    #[on(lost_update::Get)]
    #[on(lost_update::Set)]
    Ready,
}

impl PlainCounterHandlers for Plain {
    fn ready_on_get(&mut self, _: lost_update::Get) -> u32 {
        self.count
    }
    fn ready_on_set(&mut self, set: lost_update::Set) {
        self.count = set.0;
    }
}

#[test]
fn without_hash_the_search_is_a_bounded_tree_and_says_so() {
    use lost_update::{Get, Set};
    let explorer = || {
        Explorer::unhashed(PlainCounter::Ready, Plain::default())
            .client("alice", |c| c.ask(Get).then(|n| c.tell(Set(n + 1))))
            .client("bob", |c| c.ask(Get).then(|n| c.tell(Set(n + 1))))
            .at_end("no lost update", |_, plain| plain.count == 2)
    };
    let report = explorer().run();
    assert_eq!(report.mode, Mode::Tree);
    assert_eq!(violation(&report).trace.len(), 4);
    assert!(report.to_string().contains("tree search: no Hash"));
    let bounded = explorer().find_all().max_depth(3).run();
    assert!(!bounded.complete);
    assert_eq!(bounded.limit, Some(Limit::Depth(3)));
    let whole = explorer().find_all().run();
    assert!(whole.complete);
    // Without deduplication, the 12 distinct states are 19 tree nodes.
    assert_eq!(whole.states, 19);
}

#[derive(Message, Clone, Debug)]
struct Bump;

#[derive(Clone, Debug, Default, Hash)]
struct Fragile {
    count: u32,
}

#[derive(Machine, Clone, Debug, Hash)]
#[machine(context = Fragile)]
enum Brittle {
    #[initial]
    #[on(Bump)]
    Ready,
}

impl BrittleHandlers for Fragile {
    fn ready_on_bump(&mut self, _: Bump) {
        self.count += 1;
        assert!(self.count < 3, "the third bump breaks it");
    }
}

#[test]
fn a_panicking_handler_is_reported_with_its_trace() {
    let report = Explorer::new(Brittle::Ready, Fragile::default())
        .clients(3, "bumper", |c| c.tell(Bump))
        .run();
    let v = violation(&report);
    assert_eq!(v.kind, PropertyKind::NoPanic);
    assert_eq!(v.property, "the third bump breaks it");
    assert_eq!(v.trace.len(), 3);
    assert_eq!(v.trace.steps[2].kind, Kind::Panicked);
}

// ---- the proptest strategy -----------------------------------------------------------------

#[cfg(feature = "proptest")]
mod strategy {
    use lockstep::check::Kind;
    use lockstep::check::strategy::{accepted_sequences, run_sequence};
    use lockstep::{Machine, Message};
    use proptest::prelude::*;
    use proptest::test_runner::{
        Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner,
    };

    #[derive(Message, Clone, Debug, PartialEq)]
    pub struct Start;
    #[derive(Message, Clone, Debug, PartialEq)]
    pub struct Add(pub u32);
    #[derive(Message, Clone, Debug, PartialEq)]
    pub struct Stop;

    #[derive(Clone, Debug, Default)]
    pub struct Sum {
        pub total: u32,
    }

    /// `Add` is only accepted while running.
    #[derive(Machine, Clone, Debug)]
    #[machine(context = Sum, derive(Clone, Debug, PartialEq))]
    pub enum Adder {
        #[initial]
        #[on(Start => Running)]
        Idle,
        #[on(Add)]
        #[on(Stop => Idle)]
        Running,
    }

    impl AdderHandlers for Sum {
        fn running_on_add(&mut self, add: Add) {
            self.total += add.0;
        }
    }

    fn messages() -> impl Strategy<Value = AdderInput> {
        prop_oneof![
            Just(AdderInput::Start(Start)),
            Just(AdderInput::Stop(Stop)),
            (0..10u32).prop_map(|n| AdderInput::Add(Add(n))),
        ]
    }

    #[test]
    fn generated_sequences_are_accepted_by_the_spec() {
        let mut runner = TestRunner::new(Config::with_cases(200));
        let strategy = accepted_sequences(Adder::Idle, Sum::default(), messages(), 0..30);
        runner
            .run(&strategy, |sequence| {
                let (_, _, outcomes) = run_sequence(Adder::Idle, Sum::default(), sequence);
                prop_assert!(outcomes.iter().all(|kind| *kind != Kind::Rejected));
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn failures_shrink_to_a_minimal_accepted_sequence() {
        let config = Config {
            cases: 500,
            failure_persistence: None,
            ..Config::default()
        };
        let rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
        let mut runner = TestRunner::new_with_rng(config, rng);
        let strategy = accepted_sequences(Adder::Idle, Sum::default(), messages(), 0..40);
        let total = |sequence: &[AdderInput]| {
            run_sequence(Adder::Idle, Sum::default(), sequence.to_vec())
                .1
                .total
        };
        let result = runner.run(&strategy, |sequence| {
            if total(&sequence) > 10 {
                return Err(TestCaseError::fail("the total went past 10"));
            }
            Ok(())
        });
        let Err(TestError::Fail(_, minimal)) = result else {
            panic!("the property fails: {result:?}");
        };
        // Shrunk to an accepted sequence that still fails, from which removing any message makes
        // it pass: a start, then a few adds past 10, nothing else.
        assert_eq!(
            minimal.first(),
            Some(&AdderInput::Start(Start)),
            "{minimal:?}"
        );
        assert!(total(&minimal) > 10, "{minimal:?}");
        assert!(minimal.len() <= 12, "{minimal:?}");
        for i in 0..minimal.len() {
            let mut shorter = minimal.clone();
            shorter.remove(i);
            assert!(total(&shorter) <= 10, "{minimal:?} without {i} still fails");
        }
    }
}

// ---- state timeouts are events too ---------------------------------------------------------

mod lease {
    use lockstep::{Machine, Message, Timeout};

    #[derive(Message, Clone, Debug, Hash)]
    pub struct Elevate;
    #[derive(Message, Clone, Debug, Hash)]
    pub struct Wipe;

    #[derive(Default, Clone, Debug, Hash)]
    pub struct Disk {
        pub wiped: bool,
        pub expired: u32,
    }

    /// Admin rights that lapse after 30 s: the wipe the admin decided on while elevated may
    /// arrive after they lapsed.
    #[derive(Machine, Clone, Debug, Hash)]
    #[machine(context = Disk)]
    pub enum Rights {
        #[initial]
        #[on(Elevate => Elevated)]
        User,
        #[on(Wipe)]
        #[timeout(30s => User)]
        Elevated,
    }

    impl RightsHandlers for Disk {
        fn elevated_on_wipe(&mut self, _: Wipe) {
            self.wiped = true;
        }
        fn elevated_on_timeout(&mut self, _: Timeout) {
            self.expired += 1;
        }
    }
}

fn lease_explorer() -> Explorer<lease::Rights> {
    use lease::{Disk, Elevate, Rights, Wipe};
    Explorer::new(Rights::User, Disk::default())
        .client("admin", |c| c.ask(Elevate).then(move |()| c.tell(Wipe)))
        .at_end("the wipe ran", |_, disk| disk.wiped)
}

#[test]
fn a_state_timeout_may_fire_between_any_two_deliveries() {
    let report = lease_explorer().run();
    let v = violation(&report);
    // Elevated, then the clock: the wipe arrives in `User`, which rejects it.
    assert_eq!(
        messages(v),
        ["admin Elevate", "clock Timeout", "admin Wipe"]
    );
    assert_eq!(v.trace.steps[1].from, "Elevated");
    assert_eq!(v.trace.steps[1].to, "User");
    assert_eq!(v.trace.steps[2].kind, Kind::Rejected);
    assert!(report.to_string().contains("clock"), "{report}");
    // The timeout cell counts as covered.
    assert!(report.coverage.hit("Elevated", "Timeout"));
}

#[test]
fn timeouts_can_be_left_out_of_the_exploration() {
    let report = lease_explorer().timeouts(false).run();
    assert_clean(&report);
    assert!(!report.coverage.hit("Elevated", "Timeout"));
}

mod heartbeat {
    use lockstep::{Machine, Message, Timeout};

    #[derive(Message, Clone, Debug, Hash)]
    pub struct Beat;

    #[derive(Default, Clone, Debug, Hash)]
    pub struct Pulse {
        pub beats: u32,
        pub silences: u32,
    }

    /// A staying timeout: it fires once per visit, as the actor's timer does (staying does not
    /// re-arm it), so the exploration stays finite.
    #[derive(Machine, Clone, Debug, Hash)]
    #[machine(context = Pulse)]
    pub enum Heart {
        #[initial]
        #[on(Beat)]
        #[timeout(1s)]
        Alive,
    }

    impl HeartHandlers for Pulse {
        fn alive_on_beat(&mut self, _: Beat) {
            self.beats += 1;
        }
        fn alive_on_timeout(&mut self, _: Timeout) {
            self.silences += 1;
        }
    }
}

#[test]
fn a_staying_timeout_fires_once_per_visit() {
    use heartbeat::{Beat, Heart, Pulse};
    let report = Explorer::new(Heart::Alive, Pulse::default())
        .client("drum", |c| c.tell(Beat).followed_by(c.tell(Beat)))
        .always("at most one silence per visit", |_, pulse| {
            pulse.silences <= 1
        })
        .at_end("both beats", |_, pulse| pulse.beats == 2)
        .run();
    assert_clean(&report);
    // The silence can come before, between or after the beats, or not at all: 3 beat positions
    // (0, 1, 2 beats), each with the timer armed or spent.
    assert_eq!(report.states, 6, "{report}");
}

mod blinker {
    use lockstep::{Machine, Message};

    #[derive(Message, Clone, Debug, Hash)]
    pub struct Go;

    #[derive(Default, Clone, Debug, Hash)]
    pub struct Lamp {
        pub started: bool,
    }

    /// Time alone moves it, forever: every state has a timeout armed.
    #[derive(Machine, Clone, Debug, Hash, PartialEq)]
    #[machine(context = Lamp)]
    pub enum Blinker {
        #[initial]
        #[enter]
        #[on(Go)]
        #[timeout(1s => Off)]
        On,
        #[timeout(1s => On)]
        Off,
    }

    impl BlinkerHandlers for Lamp {
        fn enter_on(&mut self) {
            self.started = true;
        }
    }
}

#[test]
fn at_end_is_checked_where_only_time_can_pass_even_in_a_timeout_cycle() {
    use blinker::{Blinker, Go, Lamp};
    let report = Explorer::new(Blinker::On, Lamp::default())
        .client("switch", |c| c.tell(Go))
        .at_end("stays on", |blinker, _| *blinker == Blinker::On)
        .run();
    let v = violation(&report);
    assert_eq!(v.kind, PropertyKind::AtEnd);
    // Time passes first (events are ordered with the clock first), then the switch's `Go`
    // arrives in `Off`, which rejects it: only time can pass now, and the lamp is off.
    assert_eq!(messages(v), ["clock Timeout", "switch Go"]);
    assert_eq!(v.trace.steps[1].kind, Kind::Rejected);
}

#[test]
fn the_checker_starts_the_machine_as_the_actor_does() {
    use blinker::{Blinker, Go, Lamp};
    // The first state's enter hook runs before anything else.
    let report = Explorer::new(Blinker::On, Lamp::default())
        .client("switch", |c| c.tell(Go))
        .always("started", |_, lamp| lamp.started)
        .run();
    assert_clean(&report);
}
