//! `ExactlyOnce`: duplicates answered with the original reply without running the handler, the
//! window, gaps that wait or are rejected, independent senders, numbers used up by rejections
//! and held back by deferrals; a property test against a reference model; the actor; and the
//! race checker proving the payment scenario.
#![allow(missing_docs)]

#[path = "../examples/scenarios/mod.rs"]
mod scenarios;

use lockstep::check::{Network, Report};
use lockstep::{
    Accepts, Bare, Driver, Envelope, ExactlyOnce, Gaps, Machine, Message, Posted, Reason, SenderId,
    Sequencer,
};
use proptest::prelude::*;
use scenarios::exactly_once as payments;

// ------------------------------------------------------------------- an account with every kind

/// Adds to the total; the reply is the total after.
#[derive(Message, Clone, Debug, PartialEq, Eq, Hash)]
#[message(reply = u32)]
pub struct Add(pub u32);

/// Writes a note (told, no reply).
#[derive(Message, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Note(pub u32);

#[derive(Message, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Close;

#[derive(Message, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Reopen;

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Books {
    pub total: u32,
    /// How many times a handler ran.
    pub runs: u32,
    /// Every effect, in the order it happened.
    pub log: Vec<u32>,
}

#[derive(Machine, Clone, Debug, PartialEq, Eq, Hash)]
#[machine(context = Books, derive(Clone, Debug, PartialEq, Eq, Hash))]
pub enum Account {
    #[initial]
    #[on(Add)]
    #[on(Note)]
    #[on(Close => Closed)]
    Open,
    /// Takes no `Add`; keeps notes for later.
    #[defer(Note)]
    #[on(Reopen => Open)]
    Closed,
}

impl AccountHandlers for Books {
    fn open_on_add(&mut self, add: Add) -> u32 {
        self.runs += 1;
        self.total += add.0;
        self.log.push(add.0);
        self.total
    }
    fn open_on_note(&mut self, note: Note) {
        self.runs += 1;
        self.log.push(note.0);
    }
    fn open_on_close(&mut self, _: Close) {}
    fn closed_on_reopen(&mut self, _: Reopen) {}
}

const ALICE: SenderId = SenderId(1);
const BOB: SenderId = SenderId(2);

fn account() -> Driver<ExactlyOnce<Account>> {
    Driver::new(ExactlyOnce::new(Account::Open))
}

// ------------------------------------------------------------------------------------ behaviour

#[test]
fn a_duplicate_is_answered_with_the_original_reply_and_runs_nothing() {
    let mut books = Books::default();
    let mut driver = account();
    let first = Envelope::new(ALICE, 0, Add(5));
    assert_eq!(driver.send(&mut books, first.clone()), Ok(5));
    assert_eq!(
        driver.send(&mut books, Envelope::new(ALICE, 1, Add(2))),
        Ok(7)
    );
    // The retry of number 0, after number 1 changed the total: still 5, and no second run.
    assert_eq!(driver.send(&mut books, first.clone()), Ok(5));
    assert_eq!(driver.send(&mut books, first), Ok(5));
    assert_eq!(books.runs, 2);
    assert_eq!(books.total, 7);
    let machine = driver.machine().expect("not poisoned");
    assert_eq!(machine.expected(ALICE), 2);
    assert_eq!(machine.kept(ALICE), 2);
}

#[test]
fn a_duplicate_is_dispatched_as_discarded_with_the_kept_reply() {
    let mut books = Books::default();
    let machine = ExactlyOnce::new(Account::Open);
    let (machine, outcome) = machine.dispatch(&mut books, Envelope::new(ALICE, 0, Add(3)));
    assert!(matches!(
        outcome,
        lockstep::Outcome::Stayed { reply: 3, .. }
    ));
    let (_, outcome) = machine.dispatch(&mut books, Envelope::new(ALICE, 0, Add(3)));
    assert!(matches!(
        outcome,
        lockstep::Outcome::Discarded { reply: 3, .. }
    ));
}

#[test]
fn a_duplicate_older_than_the_window_is_rejected_with_the_message() {
    let mut books = Books::default();
    let mut driver = Driver::new(ExactlyOnce::new(Account::Open).window(2));
    for seq in 0..5 {
        driver
            .send(&mut books, Envelope::new(ALICE, seq, Add(1)))
            .unwrap();
    }
    // Numbers 3 and 4 are kept; 2 has been evicted.
    assert_eq!(
        driver.send(&mut books, Envelope::new(ALICE, 4, Add(1))),
        Ok(5)
    );
    assert_eq!(
        driver.send(&mut books, Envelope::new(ALICE, 3, Add(1))),
        Ok(4)
    );
    let rejected = driver
        .send(&mut books, Envelope::new(ALICE, 2, Add(1)))
        .unwrap_err();
    assert_eq!(rejected.reason, Reason::DuplicateTooOld { expected: 5 });
    assert_eq!(rejected.state, "Open");
    assert_eq!(rejected.message, Envelope::new(ALICE, 2, Add(1)));
    assert!(
        rejected.to_string().contains("older than the window"),
        "{rejected}"
    );
    assert_eq!(books.runs, 5);
    assert_eq!(driver.machine().map(|m| m.kept(ALICE)), Some(2));
}

#[test]
fn a_window_of_zero_keeps_no_reply() {
    let mut books = Books::default();
    let mut driver = Driver::new(ExactlyOnce::new(Account::Open).window(0));
    driver
        .send(&mut books, Envelope::new(ALICE, 0, Add(1)))
        .unwrap();
    let rejected = driver
        .send(&mut books, Envelope::new(ALICE, 0, Add(1)))
        .unwrap_err();
    assert_eq!(rejected.reason, Reason::DuplicateTooOld { expected: 1 });
    assert_eq!(books.runs, 1);
}

#[test]
fn a_gap_waits_and_the_sequence_applies_in_order_once_filled() {
    let mut books = Books::default();
    let mut driver = account();
    assert_eq!(
        driver.post(&mut books, Envelope::new(ALICE, 2, Note(20))),
        Ok(Posted::Deferred)
    );
    assert_eq!(
        driver.post(&mut books, Envelope::new(ALICE, 1, Note(10))),
        Ok(Posted::Deferred)
    );
    // A duplicate of a waiting number waits too, and is answered (not run) once its turn is past.
    assert_eq!(
        driver.post(&mut books, Envelope::new(ALICE, 2, Note(20))),
        Ok(Posted::Deferred)
    );
    assert!(books.log.is_empty());
    // Number 0 fills the gap: the state does not change, yet the waiting numbers run, in order.
    assert_eq!(
        driver.post(&mut books, Envelope::new(ALICE, 0, Note(0))),
        Ok(Posted::Handled)
    );
    assert_eq!(books.log, [0, 10, 20]);
    assert_eq!(driver.deferred().len(), 0);
    assert!(driver.take_dead_letters().is_empty());
    assert_eq!(driver.machine().map(|m| m.expected(ALICE)), Some(3));
}

#[test]
fn a_synchronous_send_of_a_gap_cannot_wait() {
    let mut books = Books::default();
    let mut driver = account();
    let rejected = driver
        .send(&mut books, Envelope::new(ALICE, 1, Add(1)))
        .unwrap_err();
    assert_eq!(rejected.reason, Reason::Deferred);
    assert_eq!(books.runs, 0);
}

#[test]
fn a_gap_is_rejected_naming_the_number_expected() {
    let mut books = Books::default();
    let mut driver = Driver::new(ExactlyOnce::new(Account::Open).gaps(Gaps::Reject));
    driver
        .send(&mut books, Envelope::new(ALICE, 0, Add(1)))
        .unwrap();
    let rejected = driver
        .post(&mut books, Envelope::new(ALICE, 3, Note(3)))
        .unwrap_err();
    assert_eq!(rejected.reason, Reason::Gap { expected: 1 });
    assert_eq!(rejected.into_message(), Envelope::new(ALICE, 3, Note(3)));
    assert_eq!(driver.deferred().len(), 0);
    // The sender resends from the number named, and nothing was lost.
    driver
        .post(&mut books, Envelope::new(ALICE, 1, Note(1)))
        .unwrap();
    assert_eq!(books.log, [1, 1]);
}

#[test]
fn senders_are_numbered_independently() {
    let mut books = Books::default();
    let mut driver = account();
    let mut alice = Sequencer::new(ALICE);
    let mut bob = Sequencer::new(BOB);
    let a0 = alice.stamp(Add(1));
    let b0 = bob.stamp(Add(100));
    let b1 = bob.stamp(Add(200));
    assert_eq!((a0.seq, b0.seq, b1.seq), (0, 0, 1));
    assert_eq!(driver.send(&mut books, b0.clone()), Ok(100));
    assert_eq!(driver.send(&mut books, a0.clone()), Ok(101));
    assert_eq!(driver.send(&mut books, b1), Ok(301));
    // Alice's number 0 and Bob's number 0 are different messages, each answered as it was.
    assert_eq!(driver.send(&mut books, a0), Ok(101));
    assert_eq!(driver.send(&mut books, b0), Ok(100));
    assert_eq!(books.runs, 3);
    let machine = driver.machine().unwrap();
    assert_eq!(machine.senders().collect::<Vec<_>>(), [ALICE, BOB]);
    assert_eq!((machine.expected(ALICE), machine.expected(BOB)), (1, 2));
    assert_eq!(alice.next(), 1);
    assert_eq!(Sequencer::resume(BOB, 2).stamp(Close).seq, 2);
}

#[test]
fn a_rejected_number_is_used_up_and_its_duplicate_rejected_again() {
    let mut books = Books::default();
    let mut driver = account();
    driver
        .send(&mut books, Envelope::new(ALICE, 0, Close))
        .unwrap();
    let rejected = driver
        .send(&mut books, Envelope::new(ALICE, 1, Add(9)))
        .unwrap_err();
    assert_eq!(rejected.reason, Reason::NotAccepted);
    assert_eq!(
        rejected.to_string(),
        "Account in state `Closed` does not accept `Add`; `Closed` accepts `Reopen`"
    );
    assert_eq!(driver.machine().map(|m| m.expected(ALICE)), Some(2));
    driver
        .send(&mut books, Envelope::new(ALICE, 2, Reopen))
        .unwrap();
    // Open takes `Add` now, but number 1 had its answer: the retry gets the same one.
    let again = driver
        .send(&mut books, Envelope::new(ALICE, 1, Add(9)))
        .unwrap_err();
    assert_eq!(again.reason, Reason::NotAccepted);
    assert_eq!(books.runs, 0);
}

#[test]
fn a_number_the_machine_defers_holds_back_its_senders_later_numbers() {
    let mut books = Books::default();
    let mut driver = account();
    driver
        .send(&mut books, Envelope::new(BOB, 0, Close))
        .unwrap();
    // Closed defers notes: Alice's number 0 waits, unused, and her number 1 waits behind it.
    assert_eq!(
        driver.post(&mut books, Envelope::new(ALICE, 0, Note(1))),
        Ok(Posted::Deferred)
    );
    assert_eq!(
        driver.post(&mut books, Envelope::new(ALICE, 1, Note(2))),
        Ok(Posted::Deferred)
    );
    assert_eq!(driver.machine().map(|m| m.expected(ALICE)), Some(0));
    driver
        .send(&mut books, Envelope::new(BOB, 1, Reopen))
        .unwrap();
    assert_eq!(books.log, [1, 2]);
    assert_eq!(driver.deferred().len(), 0);
}

#[test]
fn reusing_a_number_for_another_message_type_is_named() {
    let mut books = Books::default();
    let mut driver = account();
    driver
        .send(&mut books, Envelope::new(ALICE, 0, Add(1)))
        .unwrap();
    let rejected = driver
        .post(&mut books, Envelope::new(ALICE, 0, Note(1)))
        .unwrap_err();
    assert_eq!(rejected.reason, Reason::SequenceReused { expected: 1 });
    assert!(
        rejected.to_string().contains("another message type"),
        "{rejected}"
    );
    assert_eq!(books.runs, 1);
}

#[test]
fn the_wrapper_describes_the_wrapped_machine() {
    assert_eq!(<ExactlyOnce<Account> as Machine>::NAME, "Account");
    assert_eq!(
        <ExactlyOnce<Account> as Machine>::MESSAGES,
        Account::MESSAGES
    );
    assert_eq!(
        <ExactlyOnce<Account> as Accepts<Envelope<Note>>>::MESSAGE,
        <Account as Accepts<Note>>::MESSAGE
    );
    let machine = ExactlyOnce::new(Account::Closed)
        .window(3)
        .gaps(Gaps::Reject);
    assert_eq!(machine.state_name(), "Closed");
    assert_eq!(machine.replies_kept(), 3);
    assert_eq!(machine.on_gaps(), Gaps::Reject);
    assert_eq!(machine.machine(), &Account::Closed);
    assert_eq!(machine.into_inner(), Account::Closed);
    assert_eq!(
        format!("{:?}", Envelope::new(ALICE, 7, Note(3))),
        "1#7 Note(3)"
    );
}

#[test]
fn take_unwraps_only_its_own_message() {
    let input = <Account as Accepts<Note>>::input::<Bare>(Note(4));
    let input = match <Account as Accepts<Add>>::take::<Bare>(input) {
        Ok(add) => panic!("a note is not an add: {add:?}"),
        Err(input) => input,
    };
    assert_eq!(<Account as Accepts<Note>>::take::<Bare>(input), Ok(Note(4)));
    // Through the wrapper: its input is the wrapped machine's, over envelopes.
    let input = <ExactlyOnce<Account> as Accepts<Envelope<Add>>>::input::<Bare>(Envelope::new(
        BOB,
        3,
        Add(1),
    ));
    assert_eq!(
        <ExactlyOnce<Account> as Accepts<Envelope<Add>>>::take::<Bare>(input),
        Ok(Envelope::new(BOB, 3, Add(1)))
    );
}

#[test]
fn forgetting_a_sender_starts_it_again_from_zero() {
    let mut books = Books::default();
    let mut driver = account();
    driver
        .send(&mut books, Envelope::new(ALICE, 0, Add(1)))
        .unwrap();
    let (machine, _) = driver.into_parts();
    let mut machine = machine.unwrap();
    machine.forget(ALICE);
    assert_eq!(machine.expected(ALICE), 0);
    assert_eq!(machine.senders().len(), 0);
}

#[test]
fn shrinking_the_window_drops_the_oldest_replies() {
    let mut books = Books::default();
    let mut machine = ExactlyOnce::new(Account::Open);
    for seq in 0..4 {
        machine = machine
            .dispatch(&mut books, Envelope::new(ALICE, seq, Add(1)))
            .0;
    }
    assert_eq!(machine.kept(ALICE), 4);
    let machine = machine.window(1);
    assert_eq!(machine.kept(ALICE), 1);
    let (_, outcome) = machine.dispatch(&mut books, Envelope::new(ALICE, 2, Add(1)));
    assert!(matches!(
        outcome,
        lockstep::Outcome::Rejected {
            reason: Reason::DuplicateTooOld { expected: 4 },
            ..
        }
    ));
}

// ------------------------------------------------------------------ against a reference model

/// What the wrapper should do, written plainly: per sender the next number and every answer
/// ever given (the window decides which are still served), and the numbers waiting their turn.
#[derive(Default)]
struct Reference {
    next: [u64; 3],
    answers: [Vec<u32>; 3],
    waiting: [std::collections::BTreeSet<u64>; 3],
    total: u32,
    log: Vec<u32>,
}

/// What one send came to, comparably.
#[derive(Debug, PartialEq)]
enum Answer {
    Reply(u32),
    Waiting,
    Rejected(Reason),
}

/// The amount sender `s` sends as number `seq`: a retry resends the same message.
fn amount(sender: usize, seq: u64) -> u32 {
    u32::try_from(sender * 100).unwrap() + u32::try_from(seq).unwrap() + 1
}

impl Reference {
    /// `ask`: `Add` with a reply (a gap rejected, or a synchronous caller told it cannot wait).
    fn add(&mut self, sender: usize, seq: u64, window: u64, gaps: Gaps) -> Answer {
        let next = self.next[sender];
        if seq < next {
            return if next - seq <= window {
                Answer::Reply(self.answers[sender][usize::try_from(seq).unwrap()])
            } else {
                Answer::Rejected(Reason::DuplicateTooOld { expected: next })
            };
        }
        if seq > next {
            return Answer::Rejected(match gaps {
                Gaps::Wait => Reason::Deferred,
                Gaps::Reject => Reason::Gap { expected: next },
            });
        }
        let cents = amount(sender, seq);
        self.total += cents;
        self.log.push(cents);
        self.answers[sender].push(self.total);
        self.next[sender] += 1;
        self.drain(sender);
        Answer::Reply(self.total)
    }

    /// `post`: a `Note` (no reply), waiting at a gap.
    fn note(&mut self, sender: usize, seq: u64, window: u64) -> Answer {
        let next = self.next[sender];
        if seq < next {
            return if next - seq <= window {
                Answer::Reply(0)
            } else {
                Answer::Rejected(Reason::DuplicateTooOld { expected: next })
            };
        }
        if seq > next {
            self.waiting[sender].insert(seq);
            return Answer::Waiting;
        }
        self.apply_note(sender, seq);
        self.drain(sender);
        Answer::Reply(0)
    }

    fn apply_note(&mut self, sender: usize, seq: u64) {
        self.log.push(amount(sender, seq));
        self.answers[sender].push(0);
        self.next[sender] += 1;
    }

    /// The waiting notes whose turn came, in order.
    fn drain(&mut self, sender: usize) {
        while self.waiting[sender].remove(&self.next[sender]) {
            let seq = self.next[sender];
            self.apply_note(sender, seq);
        }
        let next = self.next[sender];
        // Waiting duplicates of numbers now past are answered when replayed, to no effect.
        self.waiting[sender].retain(|&seq| seq > next);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Random sends from three senders, with retries, reordering and gaps: `Add`s asked (the
    /// reply compared), `Note`s posted (waiting at gaps, unless gaps are rejected). Every answer,
    /// the effects and their order match the reference; nothing waits for a number that came.
    #[test]
    fn matches_the_reference(
        sends in proptest::collection::vec((0usize..3, 0u64..6, any::<bool>()), 0..40),
        window in 0u32..4,
        reject in any::<bool>(),
    ) {
        let gaps = if reject { Gaps::Reject } else { Gaps::Wait };
        let mut driver = Driver::new(ExactlyOnce::new(Account::Open).window(window).gaps(gaps));
        let mut books = Books::default();
        let mut reference = Reference::default();
        // A number is an `Add` or a `Note` for good: a retry resends the same message.
        let is_add = |sender: usize, seq: u64| (sender as u64 + seq).is_multiple_of(2);
        for (sender, seq, _) in sends {
            let id = SenderId(sender as u64);
            let cents = amount(sender, seq);
            let (got, want) = if is_add(sender, seq) {
                let got = match driver.send(&mut books, Envelope::new(id, seq, Add(cents))) {
                    Ok(reply) => Answer::Reply(reply),
                    Err(rejected) => {
                        prop_assert_eq!(rejected.message, Envelope::new(id, seq, Add(cents)));
                        Answer::Rejected(rejected.reason)
                    }
                };
                (got, reference.add(sender, seq, u64::from(window), gaps))
            } else {
                let got = match driver.post(&mut books, Envelope::new(id, seq, Note(cents))) {
                    Ok(Posted::Handled) => Answer::Reply(0),
                    Ok(Posted::Deferred) => Answer::Waiting,
                    Err(rejected) => Answer::Rejected(rejected.reason),
                };
                let want = if reject && seq > reference.next[sender] {
                    Answer::Rejected(Reason::Gap { expected: reference.next[sender] })
                } else {
                    reference.note(sender, seq, u64::from(window))
                };
                (got, want)
            };
            prop_assert_eq!(got, want);
            prop_assert_eq!(&books.log, &reference.log);
            prop_assert_eq!(books.total, reference.total);
        }
        let machine = driver.machine().expect("no handler panics");
        for sender in 0..3 {
            prop_assert_eq!(machine.expected(SenderId(sender as u64)), reference.next[sender]);
            let waiting = driver
                .deferred()
                .filter(|input| {
                    matches!(
                        <ExactlyOnce<Account> as Accepts<Envelope<Note>>>::take::<Bare>((*input).clone()),
                        Ok(e) if e.sender == SenderId(sender as u64) && e.seq <= reference.next[sender]
                    )
                })
                .count();
            prop_assert_eq!(waiting, 0, "a note waits for a number that came");
        }
    }
}

// ------------------------------------------------------------------------------------ the actor

#[cfg(feature = "actor")]
mod actor {
    use std::sync::{Arc, Mutex};

    use lockstep::actor::{AskError, DeadReason, Spawn};
    use lockstep::{Accepts, Bare, Envelope, ExactlyOnce, Reason, Sequencer};

    use super::{ALICE, Account, Add, BOB, Books, Note};

    #[tokio::test]
    async fn an_ask_sent_twice_with_one_number_runs_once_and_gets_one_reply() {
        let (account, join) = ExactlyOnce::new(Account::Open).spawn(Books::default());
        let mut alice = Sequencer::new(ALICE);
        let add = alice.stamp(Add(7));
        assert_eq!(account.ask(add.clone()).await.unwrap(), 7);
        assert_eq!(account.ask(Envelope::new(BOB, 0, Add(1))).await.unwrap(), 8);
        assert_eq!(account.ask(add).await.unwrap(), 7);
        drop(account);
        let done = join.await.unwrap();
        assert_eq!(done.context.runs, 2);
        assert_eq!(done.machine.expected(ALICE), 1);
    }

    #[tokio::test]
    async fn a_told_gap_waits_in_the_actor_until_its_turn() {
        let (account, join) = ExactlyOnce::new(Account::Open).spawn(Books::default());
        account
            .tell(Envelope::new(ALICE, 2, Note(3)))
            .await
            .unwrap();
        account
            .tell(Envelope::new(ALICE, 1, Note(2)))
            .await
            .unwrap();
        // An ask ahead of its turn waits too, and is answered once the gap fills.
        let asking = {
            let account = account.clone();
            tokio::spawn(async move { account.ask(Envelope::new(ALICE, 3, Add(10))).await })
        };
        tokio::task::yield_now().await;
        account
            .tell(Envelope::new(ALICE, 0, Note(1)))
            .await
            .unwrap();
        assert_eq!(asking.await.unwrap().unwrap(), 10);
        drop(account);
        let done = join.await.unwrap();
        assert_eq!(done.context.log, [1, 2, 3, 10]);
    }

    #[tokio::test]
    async fn a_number_used_up_by_a_rejected_replay_lets_the_next_one_run() {
        // As the driver's test of the same name: number 1 is rejected when replayed (`Closed`
        // takes no `Close`), and number 2, deferred before it, runs right after.
        let (account, join) = ExactlyOnce::new(Account::Open).spawn(Books::default());
        account
            .tell(Envelope::new(ALICE, 2, super::Reopen))
            .await
            .unwrap();
        account
            .tell(Envelope::new(ALICE, 1, super::Close))
            .await
            .unwrap();
        account
            .tell(Envelope::new(ALICE, 0, super::Close))
            .await
            .unwrap();
        drop(account);
        let done = join.await.unwrap();
        assert_eq!(done.machine.machine(), &Account::Open);
        assert_eq!(done.machine.expected(ALICE), 3);
        assert_eq!(done.metrics.dead_lettered, 1);
    }

    #[tokio::test]
    async fn a_told_envelope_refused_is_a_dead_letter_with_its_reason() {
        let letters = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&letters);
        let (account, join) = ExactlyOnce::new(Account::Open)
            .gaps(lockstep::Gaps::Reject)
            .window(1)
            .actor(Books::default())
            .dead_letters(move |letter| {
                let envelope =
                    <ExactlyOnce<Account> as Accepts<Envelope<Note>>>::take::<Bare>(letter.input)
                        .ok();
                kept.lock().unwrap().push((letter.reason, envelope));
            })
            .spawn();
        // Ahead of its turn, its turn, a retry, the next, a retry of the first.
        for seq in [1, 0, 1, 2, 0] {
            account
                .tell(Envelope::new(ALICE, seq, Note(u32::try_from(seq).unwrap())))
                .await
                .unwrap();
        }
        drop(account);
        let done = join.await.unwrap();
        assert_eq!(done.context.log, [0, 1, 2]);
        assert_eq!(
            *letters.lock().unwrap(),
            [
                (
                    DeadReason::Refused(Reason::Gap { expected: 0 }),
                    Some(Envelope::new(ALICE, 1, Note(1)))
                ),
                (
                    DeadReason::Refused(Reason::DuplicateTooOld { expected: 3 }),
                    Some(Envelope::new(ALICE, 0, Note(0)))
                ),
            ]
        );
    }

    #[tokio::test]
    async fn a_rejected_gap_comes_back_to_the_asker_with_its_reason() {
        let (account, _join) = ExactlyOnce::new(Account::Open)
            .gaps(lockstep::Gaps::Reject)
            .spawn(Books::default());
        let Err(AskError::Rejected(rejected)) = account.ask(Envelope::new(ALICE, 1, Add(1))).await
        else {
            panic!("a gap is rejected")
        };
        assert_eq!(rejected.reason, Reason::Gap { expected: 0 });
        assert_eq!(rejected.into_message(), Envelope::new(ALICE, 1, Add(1)));
    }
}

// ------------------------------------------------------------------------- the race checker

fn assert_clean(report: &Report) {
    report.assert_ok();
    assert!(report.complete, "explored completely:\n{report}");
    assert!(report.states > 0);
}

#[test]
fn the_naive_machine_charges_a_duplicate_twice() {
    let report = payments::naive(Network::Duplicating).run();
    let v = report
        .violation_of("charged at most once")
        .unwrap_or_else(|| panic!("double charge found:\n{report}"));
    // Shortest: the payment arrives, a copy stays in flight, and the copy arrives again.
    assert_eq!(v.trace.len(), 2, "{}", v.trace);
    assert!(v.trace.steps[0].duplicate_kept, "{}", v.trace);
    assert!(v.trace.steps[1].redelivery, "{}", v.trace);
    assert_eq!(v.trace.steps[0].message, v.trace.steps[1].message);
}

#[test]
fn the_naive_machine_charges_a_retry_twice_and_out_of_order() {
    let report = payments::naive(Network::Unordered).run();
    let twice = report
        .violation_of("charged at most once")
        .unwrap_or_else(|| panic!("double charge found:\n{report}"));
    assert_eq!(twice.trace.len(), 2, "{}", twice.trace);
    assert_eq!(twice.trace.steps[0].message, twice.trace.steps[1].message);
    let order = report
        .violation_of("in sequence order")
        .unwrap_or_else(|| panic!("reordering found:\n{report}"));
    assert_eq!(order.trace.len(), 1, "{}", order.trace);
    assert_eq!(order.trace.steps[0].message, "Pay { cents: 300 }");
}

#[test]
fn enveloped_payments_are_charged_once_in_order_under_duplication() {
    let report = payments::enveloped(Network::Duplicating, Gaps::Wait).run();
    assert_clean(&report);
    assert_eq!(report.properties, 3);
}

#[test]
fn enveloped_payments_are_charged_once_in_order_under_reordering() {
    let report = payments::enveloped(Network::Unordered, Gaps::Wait).run();
    assert_clean(&report);
    assert_eq!(report.properties, 3);
}

#[test]
fn waiting_envelopes_replayed_interleaved_with_deliveries_still_apply_in_order() {
    // Deferred envelopes retried as events of their own, between other deliveries (a runtime
    // that puts them back at the end of its mailbox): the properties hold all the same.
    for network in [Network::Unordered, Network::Duplicating] {
        let report = payments::enveloped(network, Gaps::Wait)
            .replay(lockstep::check::Replay::Interleaved)
            .run();
        assert_clean(&report);
    }
}

#[test]
fn rejecting_gaps_keeps_payments_once_and_in_order() {
    for network in [Network::Unordered, Network::Duplicating] {
        let report = payments::enveloped(network, Gaps::Reject).run();
        assert_clean(&report);
        assert_eq!(report.properties, 2);
    }
}

#[test]
fn rejected_gaps_lose_told_payments_that_nobody_resends() {
    // Rejecting gaps is safe (once, in order) but not complete: a told payment that overtook its
    // predecessor is handed back, and these senders do not resend it.
    let report = payments::enveloped(Network::Unordered, Gaps::Reject)
        .at_end("all charged", |_, ledger| payments::all_charged(ledger))
        .run();
    let v = report
        .violation_of("all charged")
        .unwrap_or_else(|| panic!("a lost payment is found:\n{report}"));
    assert!(
        v.trace
            .steps
            .iter()
            .any(|step| step.kind == lockstep::check::Kind::Rejected),
        "{}",
        v.trace
    );
}

// ---------------------------------------------------------------------------- serde (a store)

#[cfg(feature = "serde")]
mod record {
    use lockstep::{Accepts, Driver, Envelope, ExactlyOnce, Machine, Message, Reason, SenderId};
    use serde::{Deserialize, Serialize};

    #[derive(Message, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[message(reply = u32)]
    pub struct Deposit(pub u32);

    #[derive(Message, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub struct Seal;

    #[derive(Default)]
    pub struct Safe {
        pub total: u32,
        pub runs: u32,
    }

    #[derive(Machine, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[machine(context = Safe, derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize))]
    pub enum Vault {
        #[initial]
        #[on(Deposit)]
        #[on(Seal => Sealed)]
        Open,
        #[terminal]
        Sealed,
    }

    impl VaultHandlers for Safe {
        fn open_on_deposit(&mut self, deposit: Deposit) -> u32 {
            self.runs += 1;
            self.total += deposit.0;
            self.total
        }
    }

    const TELLER: SenderId = SenderId(9);

    #[test]
    fn the_bookkeeping_survives_a_record_and_still_answers_retries() {
        let mut safe = Safe::default();
        let mut driver = Driver::new(ExactlyOnce::new(Vault::Open).window(2));
        for (seq, cents) in [(0, 5), (1, 7), (2, 11)] {
            driver
                .send(&mut safe, Envelope::new(TELLER, seq, Deposit(cents)))
                .unwrap();
        }
        let machine = driver.machine().unwrap();
        let text = serde_json::to_string(machine).unwrap();
        // The kept replies are readable, by message name: numbers 1 and 2 (window 2).
        assert!(
            text.contains(r#"[{"Ok":{"Deposit":12}},{"Ok":{"Deposit":23}}]"#),
            "{text}"
        );
        let restored: ExactlyOnce<Vault> = serde_json::from_str(&text).unwrap();
        assert_eq!(&restored, machine);
        // After the "restart": the retry of number 2 gets its reply, and nothing runs.
        let mut driver = Driver::new(restored);
        assert_eq!(
            driver.send(&mut safe, Envelope::new(TELLER, 2, Deposit(11))),
            Ok(23)
        );
        assert_eq!(safe.runs, 3);
        assert_eq!(
            driver
                .send(&mut safe, Envelope::new(TELLER, 0, Deposit(5)))
                .unwrap_err()
                .reason,
            Reason::DuplicateTooOld { expected: 3 }
        );
        // And it goes on from number 3, in sequence.
        assert_eq!(
            driver.send(&mut safe, Envelope::new(TELLER, 3, Deposit(1))),
            Ok(24)
        );
    }

    #[test]
    fn a_kept_rejection_and_an_envelope_round_trip() {
        let mut safe = Safe::default();
        let machine = ExactlyOnce::new(Vault::Open);
        let (machine, _) = machine.dispatch(&mut safe, Envelope::new(TELLER, 0, Seal));
        let (machine, outcome) = machine.dispatch(&mut safe, Envelope::new(TELLER, 1, Deposit(3)));
        assert!(matches!(outcome, lockstep::Outcome::Rejected { .. }));
        let text = serde_json::to_string(&machine).unwrap();
        assert!(text.contains(r#"{"Err":"NotAccepted"}"#), "{text}");
        let restored: ExactlyOnce<Vault> = serde_json::from_str(&text).unwrap();
        assert_eq!(restored, machine);
        let envelope = Envelope::new(TELLER, 4, Deposit(2));
        let text = serde_json::to_string(&envelope).unwrap();
        assert_eq!(
            serde_json::from_str::<Envelope<Deposit>>(&text).unwrap(),
            envelope
        );
    }

    #[test]
    fn an_unknown_message_in_a_record_is_a_typed_error() {
        let text = r#"{"Withdraw":3}"#;
        let error = serde_json::from_str::<VaultInput>(text).unwrap_err();
        assert!(
            error.to_string().contains("unknown variant `Withdraw`"),
            "{error}"
        );
        assert!(
            error.to_string().contains("expected `Deposit` or `Seal`"),
            "{error}"
        );
        let input: VaultInput = serde_json::from_str(r#"{"Deposit":3}"#).unwrap();
        assert_eq!(input, VaultInput::Deposit(Deposit(3)));
    }
}

// ----------------------------------------------- a number used up by a rejection, during a replay

/// Alice's `Close` number 1 arrives second, `Reopen` number 2 first, `Close` number 0 last:
/// number 0 closes the account, and the replay that follows rejects number 1 (`Closed` takes no
/// `Close`), which uses it up. Number 2's turn has come then, although the state did not change:
/// it must be retried, not left waiting for an unrelated change.
#[test]
fn a_number_used_up_by_a_rejected_replay_lets_the_next_one_run() {
    let mut books = Books::default();
    let mut driver = account();
    assert_eq!(
        driver.post(&mut books, Envelope::new(ALICE, 2, Reopen)),
        Ok(Posted::Deferred)
    );
    assert_eq!(
        driver.post(&mut books, Envelope::new(ALICE, 1, Close)),
        Ok(Posted::Deferred)
    );
    assert_eq!(
        driver.post(&mut books, Envelope::new(ALICE, 0, Close)),
        Ok(Posted::Handled)
    );
    assert_eq!(driver.machine().map(|m| m.expected(ALICE)), Some(3));
    assert_eq!(driver.state_path(), "Open", "number 2 (Reopen) ran");
    assert_eq!(driver.deferred().len(), 0);
    let dead = driver.take_dead_letters();
    assert_eq!(dead.len(), 1);
    let close = <ExactlyOnce<Account> as Accepts<Envelope<Close>>>::take::<Bare>(
        dead.into_iter().next().expect("one dead letter"),
    );
    assert_eq!(close.ok(), Some(Envelope::new(ALICE, 1, Close)));
}

/// The same in the race checker: whatever order the network delivers Alice's three numbers in,
/// the account ends open.
#[test]
fn the_checker_retries_after_a_number_is_used_up_by_a_rejection() {
    for replay in [
        lockstep::check::Replay::Immediate,
        lockstep::check::Replay::Interleaved,
    ] {
        let explorer =
            lockstep::check::Explorer::new(ExactlyOnce::new(Account::Open), Books::default())
                .client("alice", |c| {
                    c.tell(Envelope::new(ALICE, 0, Close))
                        .tell(Envelope::new(ALICE, 1, Close))
                        .tell(Envelope::new(ALICE, 2, Reopen))
                })
                .network(Network::Unordered)
                .at_end("ends open", |machine: &ExactlyOnce<Account>, _| {
                    machine.machine() == &Account::Open
                });
        let report = explorer.replay(replay).run();
        assert_clean(&report);
    }
}
