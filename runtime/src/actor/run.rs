//! The actor's loop: one message at a time through the machine's dispatch. Raised events run
//! before the next mailbox message, deferred messages are replayed after every state change,
//! state timers are armed on entering a state and fenced by a visit number, and a handler's panic
//! is caught, answered and either restarted from or ended with.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::builder::{Factory, Restart};
#[cfg(feature = "persist")]
use super::error::Unrecorded;
use super::error::{AskError, Failed, Panicked, StopCause};
use super::handle::Final;
#[cfg(feature = "persist")]
use super::journal::{Held, HeldAnswer, Journal, finish_commit};
use super::mail::{Asked, Envelope, Mail};
use super::me::Me;
use super::shared::{DeadLetter, DeadReason, Metrics, Shared};
use crate::machine::{Accepts, Bare, Machine, Visit};
use crate::message::{Message, Timeout};
use crate::outcome::{Outcome, Reason, Rejected};

pub(crate) struct Core<Mc: Machine> {
    pub(crate) machine: Option<Mc>,
    pub(crate) context: Option<Mc::Context>,
    pub(crate) deferred: VecDeque<Mc::Input<Asked>>,
    pub(crate) defer_capacity: usize,
    pub(crate) shared: Arc<Shared<Mc>>,
    pub(crate) me: Me<Mc>,
    pub(crate) restart: Option<(Restart, Factory<Mc>)>,
    /// When the last restarts happened (at most the policy's `max`).
    pub(crate) restarts: VecDeque<Instant>,
    pub(crate) counts: Metrics,
    /// Bumped on every arming and stamped on the timer, so a timer armed in an earlier visit never
    /// fires into a later one.
    epoch: u64,
    /// One armed timer per level of the state path (nested machines), with its stamp: a move at
    /// one level re-arms that level and the ones inside it, and leaves the outer ones running.
    timers: Vec<Option<(u64, JoinHandle<()>)>>,
    /// Replay the deferred queue from this position (set by a state change).
    replay_at: Option<usize>,
    panicked: Option<Panicked>,
    /// The machine entered a `#[terminal]` state: it accepts nothing more, so the actor stops.
    finished: bool,
    /// A persisted actor's store: answers wait for the commit of their batch.
    #[cfg(feature = "persist")]
    pub(crate) journal: Option<Box<dyn Journal<Mc>>>,
    /// A handler ran since the last commit.
    #[cfg(feature = "persist")]
    dirty: bool,
    /// Told once the start (the first state's enter hook, or a resumed record) is settled and
    /// committed: a persisted spawn returns only then.
    #[cfg(feature = "persist")]
    pub(crate) started: Option<tokio::sync::oneshot::Sender<Result<(), Unrecorded>>>,
    /// How many mails the last batch took.
    #[cfg(feature = "persist")]
    last_batch: usize,
    /// The machine was loaded in a state it had already entered (a persisted record): its enter
    /// hook ran before the record was written and does not run again.
    pub(crate) resumed: bool,
}

/// What one delivery did, for the caller that keeps the deferred queue.
enum Delivered<Mc: Machine> {
    Done,
    /// Deferred: where to keep it is the caller's choice (the back, or its old place).
    Deferred(Mc::Input<Asked>),
}

impl<Mc: Machine + Send + 'static> Core<Mc>
where
    Mc::Input<Asked>: Send + 'static,
{
    pub(crate) fn new(
        machine: Mc,
        context: Mc::Context,
        defer_capacity: usize,
        shared: Arc<Shared<Mc>>,
        me: Me<Mc>,
        restart: Option<(Restart, Factory<Mc>)>,
    ) -> Self {
        Core {
            machine: Some(machine),
            context: Some(context),
            deferred: VecDeque::new(),
            defer_capacity,
            shared,
            me,
            restart,
            restarts: VecDeque::new(),
            counts: Metrics::default(),
            epoch: 0,
            timers: Vec::new(),
            replay_at: None,
            panicked: None,
            finished: false,
            #[cfg(feature = "persist")]
            journal: None,
            #[cfg(feature = "persist")]
            dirty: false,
            #[cfg(feature = "persist")]
            started: None,
            #[cfg(feature = "persist")]
            last_batch: 1,
            resumed: false,
        }
    }

    fn state_name(&self) -> &'static str {
        self.machine
            .as_ref()
            .map_or("<stopped>", Machine::state_name)
    }

    /// Runs until the mailbox is closed and empty, or a handler panicked with no restart left.
    pub(crate) async fn run(
        mut self,
        mut mailbox: mpsc::Receiver<Mail<Mc>>,
    ) -> Result<Final<Mc>, Failed> {
        self.begin();
        // Events the first state's enter hook (or the context's factory) raised run first.
        self.settle();
        #[cfg(feature = "persist")]
        if self.journal.is_some() {
            // A new key's first record is this commit, made after the enter hook and its
            // events: every record holds a state that was entered, so a resumed machine (and a
            // restart, which reloads the record) rightly runs no hook.
            self.dirty = !self.resumed;
            let done = self.make_durable().await;
            if let Some(started) = self.started.take() {
                let _ = started.send(done.clone());
            }
            if let Err(unrecorded) = done {
                return Err(self.fail_unrecorded(unrecorded, None, mailbox).await);
            }
        }
        #[cfg(feature = "persist")]
        let mut carried: Option<Mail<Mc>> = None;
        loop {
            // Checked before taking: `take` would move the (large) empty slot on every message.
            if self.panicked.is_some() {
                if let Err(panic) = self.recover() {
                    return Err(self.fail(panic, mailbox).await);
                }
                // The restart replayed the deferred messages against the reloaded state: what
                // they did is committed and answered now, not whenever the next mail comes.
                #[cfg(feature = "persist")]
                if let Err(unrecorded) = self.make_durable().await {
                    return Err(self.fail_unrecorded(unrecorded, None, mailbox).await);
                }
            }
            if self.finished {
                self.finish_terminal(&mut mailbox);
            }
            #[cfg(feature = "persist")]
            let next = match carried.take() {
                Some(mail) => Some(mail),
                None => mailbox.recv().await,
            };
            #[cfg(not(feature = "persist"))]
            let next = mailbox.recv().await;
            let Some(mail) = next else {
                break;
            };
            match mail {
                Mail::Message(input) => {
                    self.deliver_fresh(input);
                    self.settle();
                }
                Mail::Timeout { epoch } => self.time_out(epoch),
                Mail::Stop(closed) => {
                    // Everything already queued is still run; nothing new gets in.
                    self.shared.set_cause(StopCause::Requested);
                    mailbox.close();
                    let _ = closed.send(());
                }
                Mail::State(reply) => {
                    if let Some(machine) = &self.machine {
                        let _ = reply.send(machine.state());
                    }
                }
                Mail::Wake => self.settle(),
            }
            #[cfg(feature = "persist")]
            if self.journal.is_some() {
                carried = self.drain_batch(&mut mailbox).await;
                if let Err(unrecorded) = self.make_durable().await {
                    return Err(self.fail_unrecorded(unrecorded, carried, mailbox).await);
                }
            }
        }
        if let Err(panic) = self.recover() {
            return Err(self.fail(panic, mailbox).await);
        }
        self.shared.set_cause(StopCause::Ended);
        let cause = self.shared.cause();
        self.refuse_deferred(&cause);
        self.finish();
        match (self.machine.take(), self.context.take()) {
            (Some(machine), Some(context)) => Ok(Final {
                machine,
                context,
                // Read back rather than the loop's own: effects count their dead letters there.
                metrics: self.shared.counters.read(),
            }),
            _ => Err(Failed::Aborted),
        }
    }

    /// The first state: its enter hook, its timer.
    fn begin(&mut self) {
        let (Some(machine), Some(context)) = (self.machine.as_mut(), self.context.as_mut()) else {
            return;
        };
        let state = machine.state_name();
        if self.resumed {
            // A resumed machine re-arms every level's timer: the timers of the crashed process
            // died with it, and its enter hooks already ran.
            self.entered(0);
            return;
        }
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| machine.start(context))) {
            self.machine = None;
            self.panicked = Some(Panicked {
                machine: Mc::NAME,
                state,
                message: "<start>",
                payload: panic_text(&*payload),
            });
            return;
        }
        self.entered(0);
    }

    /// The state at `level` (and so every level inside it) was entered: a new visit, whose timers
    /// are armed and the previous visit's cancelled. The levels outside keep theirs.
    fn entered(&mut self, level: usize) {
        self.cancel_timers(level);
        let Some(machine) = &self.machine else {
            return;
        };
        self.finished |= Mc::STATES[machine.state().index()].is_terminal;
        for at in level..machine.state_path().depth() {
            let Some(after) = machine.timeout_at(at) else {
                continue;
            };
            self.epoch += 1;
            let mailbox = self.me.mailbox.clone();
            let epoch = self.epoch;
            let timer = tokio::spawn(async move {
                tokio::time::sleep(after).await;
                if let Some(mailbox) = mailbox.upgrade() {
                    let _ = mailbox.send(Mail::Timeout { epoch }).await;
                }
            });
            if self.timers.len() <= at {
                self.timers.resize_with(at + 1, || None);
            }
            self.timers[at] = Some((epoch, timer));
        }
    }

    /// Cancels the timers of `level` and the levels inside it.
    fn cancel_timers(&mut self, level: usize) {
        for slot in self.timers.iter_mut().skip(level) {
            if let Some((_, timer)) = slot.take() {
                timer.abort();
            }
        }
    }

    /// A terminal state takes nothing more: close the mailbox as a stop would. What is queued
    /// still arrives, and is rejected (asks) or dead-lettered (tells) by the terminal state.
    fn finish_terminal(&mut self, mailbox: &mut mpsc::Receiver<Mail<Mc>>) {
        self.finished = false;
        let state = self.state_name();
        self.shared.set_cause(StopCause::Finished { state });
        mailbox.close();
    }

    fn time_out(&mut self, epoch: u64) {
        // A timer armed in an earlier visit (cancelled too late, or queued behind the change)
        // never fires into a later one. A fired timer is spent: a staying timeout does not re-arm.
        let level = self
            .timers
            .iter()
            .position(|slot| slot.as_ref().is_some_and(|(armed, _)| *armed == epoch));
        let Some(level) = level else {
            bump(
                &mut self.counts.stale_timeouts,
                &self.shared.counters.stale_timeouts,
            );
            return;
        };
        self.timers[level] = None;
        let envelope = Envelope {
            message: Timeout::at_level(level),
            reply: None,
        };
        if let Some(input) = Mc::timeout_input::<Asked>(envelope) {
            self.deliver_fresh(input);
            self.settle();
        }
    }

    /// A message from the mailbox (or raised): run it; keep it at the back if deferred.
    fn deliver_fresh(&mut self, input: Mc::Input<Asked>) {
        if let Delivered::Deferred(input) = Mc::route(
            input,
            Deliver {
                core: self,
                fresh: true,
            },
        ) {
            self.deferred.push_back(input);
        }
    }

    /// After a message: raised events first, then, if the state changed, the deferred messages
    /// from the oldest; each of those may raise or change state again.
    #[inline]
    fn settle(&mut self) {
        // Most messages raise nothing and change no state with anything deferred.
        if self.replay_at.is_none() && !self.shared.raised_any.load(Ordering::Acquire) {
            return;
        }
        self.settle_slow();
    }

    #[cold]
    fn settle_slow(&mut self) {
        loop {
            if self.panicked.is_some() {
                break;
            }
            if self.shared.raised_any.load(Ordering::Acquire)
                && let Some(input) = self.pop_raised()
            {
                self.deliver_fresh(input);
                continue;
            }
            if let Some(at) = self.replay_at {
                if let Some(input) = self.deferred.remove(at) {
                    match Mc::route(
                        input,
                        Deliver {
                            core: self,
                            fresh: false,
                        },
                    ) {
                        Delivered::Deferred(input) => {
                            // Deferred again: it keeps its place.
                            self.deferred.insert(at, input);
                            if self.replay_at == Some(at) {
                                self.replay_at = Some(at + 1);
                            }
                        }
                        // Done: the next one moved up into `at`, or a state change restarted
                        // the replay from the oldest.
                        Delivered::Done => {}
                    }
                    continue;
                }
                self.replay_at = None;
            }
            break;
        }
    }

    fn pop_raised(&self) -> Option<Mc::Input<Asked>> {
        let mut raised = self
            .shared
            .raised
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let input = raised.pop_front();
        if raised.is_empty() {
            self.shared.raised_any.store(false, Ordering::Release);
        }
        input
    }

    /// Runs one message through the dispatch and settles its reply.
    fn deliver<M: Message>(&mut self, envelope: Envelope<M>, fresh: bool) -> Delivered<Mc>
    where
        Mc: Accepts<M>,
    {
        let Envelope { message, reply } = envelope;
        let (Some(machine), Some(context)) = (self.machine.take(), self.context.as_mut()) else {
            // Only after a panic, which ends delivery until a restart.
            let cause = self.shared.cause();
            self.refuse(message, reply, &cause);
            return Delivered::Done;
        };
        // The state's index only: its name is read on the cold paths (a span, a panic).
        let before = machine.state();
        let progress = machine.progress();
        #[cfg(feature = "tracing")]
        let span = tracing::trace_span!(
            "lockstep",
            machine = Mc::NAME,
            message = M::NAME,
            from = Mc::STATES[before.index()].name,
            to = tracing::field::Empty,
            outcome = tracing::field::Empty,
        );
        #[cfg(feature = "tracing")]
        let _entered = span.enter();
        // Handlers are synchronous and own nothing of the loop's; after a panic the machine is
        // gone and the context is dropped or replaced, so no broken invariant is observed.
        // (`catch_unwind` costs about 4 ns a message; where panics abort there is nothing to
        // catch.)
        #[cfg(panic = "unwind")]
        let dispatched = catch_unwind(AssertUnwindSafe(|| machine.dispatch(context, message)));
        #[cfg(not(panic = "unwind"))]
        let dispatched: Result<_, Box<dyn core::any::Any + Send>> =
            Ok(machine.dispatch(context, message));
        let (machine, outcome) = match dispatched {
            Ok(done) => done,
            Err(payload) => {
                let panic = Panicked {
                    machine: Mc::NAME,
                    state: Mc::STATES[before.index()].name,
                    message: M::NAME,
                    payload: panic_text(&*payload),
                };
                #[cfg(feature = "tracing")]
                span.record("outcome", "panicked");
                tracing::error!(machine = Mc::NAME, state = panic.state, message = M::NAME, payload = %panic.payload, "lockstep: handler panicked");
                if let Some(reply) = reply {
                    let _ = reply.send(Err(Box::new(AskError::Panicked(panic.clone()))));
                }
                bump(&mut self.counts.panicked, &self.shared.counters.panicked);
                // The visit is over: its timers must not fire into whatever comes next.
                self.cancel_timers(0);
                self.panicked = Some(panic);
                return Delivered::Done;
            }
        };
        // A machine that progressed without changing state (an `ExactlyOnce` applying the
        // envelope a deferred one waited for) replays its deferred messages as after a move.
        if machine.progress() != progress {
            self.replay_at = Some(0);
            // Its bookkeeping changed even if no handler ran (a number used up by a rejection):
            // a persisted actor commits it with the batch.
            self.mark_dirty();
        }
        self.machine = Some(machine);
        #[cfg(feature = "tracing")]
        {
            span.record("to", self.state_name());
            span.record("outcome", outcome.kind());
        }
        match outcome {
            Outcome::Moved {
                reply: value,
                level,
                ..
            } => {
                bump(&mut self.counts.processed, &self.shared.counters.processed);
                self.mark_dirty();
                self.answer(reply, Ok(value));
                self.entered(usize::from(level));
                self.replay_at = Some(0);
            }
            Outcome::Stayed { reply: value, .. } => {
                bump(&mut self.counts.processed, &self.shared.counters.processed);
                self.mark_dirty();
                self.answer(reply, Ok(value));
            }
            Outcome::Discarded { reply: value, .. } => {
                bump(&mut self.counts.discarded, &self.shared.counters.discarded);
                self.answer(reply, Ok(value));
            }
            Outcome::Deferred { message, .. } => {
                if !fresh {
                    return Delivered::Deferred(Mc::input::<Asked>(Envelope { message, reply }));
                }
                if self.deferred.len() >= self.defer_capacity {
                    self.turn_away(message, reply, Reason::DeferQueueFull);
                } else {
                    bump(&mut self.counts.deferred, &self.shared.counters.deferred);
                    return Delivered::Deferred(Mc::input::<Asked>(Envelope { message, reply }));
                }
            }
            Outcome::Rejected {
                message, reason, ..
            } => {
                self.turn_away(message, reply, reason);
            }
        }
        Delivered::Done
    }

    /// A message the current state does not take: the asker gets it back in a [`Rejected`],
    /// a told one goes to the dead letters.
    fn turn_away<M: Message>(
        &mut self,
        message: M,
        reply: Option<super::mail::ReplyTo<M>>,
        reason: Reason,
    ) where
        Mc: Accepts<M>,
    {
        if let Some(reply) = reply {
            bump(&mut self.counts.rejected, &self.shared.counters.rejected);
            let state = self
                .machine
                .as_ref()
                .map_or_else(crate::StatePath::stopped, Machine::state_path);
            let rejected = Rejected {
                machine: Mc::NAME,
                state,
                reason,
                message,
            };
            self.answer(Some(reply), Err(Box::new(AskError::Rejected(rejected))));
        } else {
            let reason = match reason {
                Reason::DeferQueueFull => DeadReason::DeferQueueFull,
                Reason::NotAccepted | Reason::Deferred | Reason::Poisoned => {
                    DeadReason::NotAccepted
                }
                refused => DeadReason::Refused(refused),
            };
            self.dead_letter(Mc::input::<Bare>(message), reason);
        }
    }

    /// A message the actor will not run because it stopped: askers get it back, told ones go to
    /// the dead letters.
    fn refuse<M: Message>(
        &mut self,
        message: M,
        reply: Option<super::mail::ReplyTo<M>>,
        cause: &StopCause,
    ) where
        Mc: Accepts<M>,
    {
        match reply {
            Some(reply) => {
                bump(&mut self.counts.rejected, &self.shared.counters.rejected);
                let _ = reply.send(Err(Box::new(AskError::Stopped {
                    message: Some(message),
                    cause: cause.clone(),
                })));
            }
            None => self.dead_letter(Mc::input::<Bare>(message), DeadReason::Stopped),
        }
    }

    fn dead_letter(&mut self, input: Mc::Input<Bare>, reason: DeadReason) {
        bump(
            &mut self.counts.dead_lettered,
            &self.shared.counters.dead_lettered,
        );
        self.shared.dead_letter(DeadLetter {
            machine: Mc::NAME,
            state: self.state_name(),
            reason,
            input,
        });
    }

    fn refuse_deferred(&mut self, cause: &StopCause) {
        while let Some(input) = self.deferred.pop_front() {
            Mc::route(input, Refuse { core: self, cause });
        }
        // Raised events have no asker: `finish` dead-letters them.
    }

    fn finish(&mut self) {
        self.cancel_timers(0);
        // From now on nothing drains the raised queue: `Me::raise` hands messages back.
        self.shared.ended.store(true, Ordering::Release);
        self.drop_raised();
    }

    /// After a panic: restarts as often as the policy allows (a restarted machine may panic
    /// again, in its enter hook or on a replayed message). `Err` with the panic to end with.
    fn recover(&mut self) -> Result<(), Panicked> {
        while let Some(panic) = self.panicked.take() {
            // What the crashed handler raised belongs to the context that is dropped.
            self.drop_raised();
            self.restart_after(panic)?;
        }
        Ok(())
    }

    /// Restarts from the factory if the policy has a restart left: at most `max` within any
    /// window of `within` (the times of the last `max` restarts are kept).
    fn restart_after(&mut self, panic: Panicked) -> Result<(), Panicked> {
        let Some((policy, factory)) = self.restart.as_mut() else {
            return Err(panic);
        };
        let now = Instant::now();
        while self
            .restarts
            .front()
            .is_some_and(|&at| now.duration_since(at) > policy.within)
        {
            self.restarts.pop_front();
        }
        if self.restarts.len() >= policy.max as usize {
            return Err(panic);
        }
        self.restarts.push_back(now);
        // A persisted actor restarts from its last commit: the store is the truth, and the
        // factory's state would be overwritten by the next commit anyway. With nothing committed
        // yet (the first enter hook panicked) it starts afresh from the factory, hook included.
        #[cfg(feature = "persist")]
        if let Some(journal) = &self.journal {
            match journal.reload() {
                Ok(Some((machine, context))) => {
                    self.resumed = true;
                    self.restarted(&panic, machine, context);
                    return Ok(());
                }
                Ok(None) => self.resumed = false,
                Err(why) => {
                    return Err(Panicked {
                        machine: Mc::NAME,
                        state: panic.state,
                        message: "<restart from the store>",
                        payload: why,
                    });
                }
            }
        }
        // The factory is user code too: a panic there ends the actor, with that panic.
        let me = &self.me;
        let (machine, context) = match catch_unwind(AssertUnwindSafe(|| factory(me))) {
            Ok(made) => made,
            Err(payload) => {
                return Err(Panicked {
                    machine: Mc::NAME,
                    state: panic.state,
                    message: "<restart factory>",
                    payload: panic_text(&*payload),
                });
            }
        };
        // A fresh start of a persisted actor is committed like the first one.
        self.mark_dirty();
        self.restarted(&panic, machine, context);
        Ok(())
    }

    /// Runs the restarted machine: its enter hook (unless it was reloaded from a record), then
    /// what waited for a state change.
    fn restarted(&mut self, panic: &Panicked, machine: Mc, context: Mc::Context) {
        tracing::warn!(
            machine = Mc::NAME,
            state = panic.state,
            message = panic.message,
            "lockstep: restarting after a panic"
        );
        self.machine = Some(machine);
        self.context = Some(context);
        bump(&mut self.counts.restarts, &self.shared.counters.restarts);
        self.begin();
        // A restart is a state change: what waited for one is retried.
        self.replay_at = Some(0);
        self.settle();
    }

    /// Dead-letters the events raised by a handler that then panicked.
    fn drop_raised(&mut self) {
        while let Some(input) = self.pop_raised() {
            let input = Mc::route(input, Unwrap);
            self.dead_letter(input, DeadReason::Stopped);
        }
    }

    /// Answers an asker: at once, or, in a persisted actor, once the batch is durable.
    #[inline]
    #[cfg_attr(not(feature = "persist"), allow(clippy::unused_self))] // `self` holds the journal
    fn answer<M: Message>(
        &mut self,
        reply: Option<super::mail::ReplyTo<M>>,
        answer: Result<M::Reply, Box<AskError<M>>>,
    ) where
        Mc: Accepts<M>,
    {
        let Some(reply) = reply else { return };
        #[cfg(feature = "persist")]
        if let Some(journal) = &mut self.journal {
            journal.hold(Mc::input::<Held>(HeldAnswer { reply, answer }));
            return;
        }
        // The asker may have timed out and gone; its reply is dropped then.
        let _ = reply.send(answer);
    }

    #[inline]
    #[cfg_attr(not(feature = "persist"), allow(clippy::unused_self))] // only a journal keeps count
    fn mark_dirty(&mut self) {
        #[cfg(feature = "persist")]
        {
            self.dirty = true;
        }
    }

    /// Takes what is already in the mailbox, up to the batch cap, so that it shares one commit.
    /// Returns a control mail that ended the batch, to handle after the commit.
    ///
    /// When the mailbox runs dry before the batch is as large as the last one, the loop yields
    /// once: the askers the last commit answered are runnable and about to send again, and one
    /// pass of the scheduler (microseconds) lets them join this commit instead of paying for the
    /// next `fsync`. It never waits on a clock, and a lone sender costs one yield.
    #[cfg(feature = "persist")]
    async fn drain_batch(&mut self, mailbox: &mut mpsc::Receiver<Mail<Mc>>) -> Option<Mail<Mc>> {
        let cap = self.journal.as_ref().map_or(1, |j| j.max_batch());
        let mut taken = 1;
        let mut yielded = false;
        let carried = loop {
            if taken >= cap || self.panicked.is_some() || self.finished {
                break None;
            }
            match mailbox.try_recv() {
                Ok(Mail::Message(input)) => {
                    self.deliver_fresh(input);
                    self.settle();
                }
                Ok(Mail::Timeout { epoch }) => self.time_out(epoch),
                Ok(Mail::Wake) => self.settle(),
                Ok(other) => break Some(other),
                Err(_) if !yielded && taken < self.last_batch => {
                    yielded = true;
                    tokio::task::yield_now().await;
                    continue;
                }
                Err(_) => break None,
            }
            taken += 1;
        };
        self.last_batch = taken;
        carried
    }

    /// Commits the machine and context if a handler ran since the last commit, then sends the
    /// held answers. A batch cut short by a panic is not committed: the machine is gone with the
    /// panic, and its earlier messages' askers learn that their messages were not recorded.
    #[cfg(feature = "persist")]
    async fn make_durable(&mut self) -> Result<(), Unrecorded> {
        let Some(journal) = self.journal.as_mut() else {
            return Ok(());
        };
        if let Some(panic) = &self.panicked {
            self.dirty = false;
            journal.release(Some(&Unrecorded::Abandoned(panic.clone())));
            return Ok(());
        }
        let (true, Some(machine), Some(context)) =
            (self.dirty, self.machine.as_ref(), self.context.as_ref())
        else {
            journal.release(None);
            return Ok(());
        };
        self.dirty = false;
        let done = match journal.begin_commit(machine, context) {
            Ok(commit) => finish_commit(commit).await,
            Err(unrecorded) => Err(unrecorded),
        };
        journal.release(done.as_ref().err());
        done
    }

    /// A commit failed: the machine in memory is ahead of the store, so it must not take another
    /// message. Everything queued is handed back as after a panic.
    #[cfg(feature = "persist")]
    async fn fail_unrecorded(
        &mut self,
        unrecorded: Unrecorded,
        carried: Option<Mail<Mc>>,
        mailbox: mpsc::Receiver<Mail<Mc>>,
    ) -> Failed {
        tracing::error!(machine = Mc::NAME, error = %unrecorded, "lockstep: commit failed, stopping");
        let cause = StopCause::Unrecorded(unrecorded.clone());
        self.shared.set_cause(cause.clone());
        match carried {
            Some(Mail::Message(input)) => Mc::route(
                input,
                Refuse {
                    core: self,
                    cause: &cause,
                },
            ),
            Some(Mail::Stop(closed)) => {
                let _ = closed.send(());
            }
            _ => {}
        }
        self.fail_with(cause, mailbox).await;
        Failed::Unrecorded(unrecorded)
    }

    /// No restart left: every queued and deferred message is answered or dead-lettered with the
    /// panic as the cause, and the actor ends.
    async fn fail(&mut self, panic: Panicked, mailbox: mpsc::Receiver<Mail<Mc>>) -> Failed {
        let cause = StopCause::Panicked(panic.clone());
        self.fail_with(cause, mailbox).await;
        Failed::Panicked {
            panic,
            restarts: u32::try_from(self.counts.restarts).unwrap_or(u32::MAX),
        }
    }

    async fn fail_with(&mut self, cause: StopCause, mut mailbox: mpsc::Receiver<Mail<Mc>>) {
        self.shared.set_cause(cause.clone());
        mailbox.close();
        self.refuse_deferred(&cause);
        while let Some(mail) = mailbox.recv().await {
            if let Mail::Message(input) = mail {
                Mc::route(
                    input,
                    Refuse {
                        core: self,
                        cause: &cause,
                    },
                );
            }
        }
        self.finish();
    }
}

/// Counts one more: the loop is the counter's only writer, so a plain store publishes it.
fn bump(local: &mut u64, shared: &std::sync::atomic::AtomicU64) {
    *local += 1;
    shared.store(*local, Ordering::Relaxed);
}

fn panic_text(payload: &(dyn core::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "<a panic payload that is not a string>".to_owned())
}

struct Deliver<'a, Mc: Machine> {
    core: &'a mut Core<Mc>,
    fresh: bool,
}

impl<Mc: Machine + Send + 'static> Visit<Mc, Asked> for Deliver<'_, Mc>
where
    Mc::Input<Asked>: Send + 'static,
{
    type Output = Delivered<Mc>;

    #[inline]
    fn visit<M: Message>(self, envelope: Envelope<M>) -> Delivered<Mc>
    where
        Mc: Accepts<M>,
    {
        self.core.deliver(envelope, self.fresh)
    }
}

struct Refuse<'a, Mc: Machine> {
    core: &'a mut Core<Mc>,
    cause: &'a StopCause,
}

impl<Mc: Machine + Send + 'static> Visit<Mc, Asked> for Refuse<'_, Mc>
where
    Mc::Input<Asked>: Send + 'static,
{
    type Output = ();

    fn visit<M: Message>(self, envelope: Envelope<M>)
    where
        Mc: Accepts<M>,
    {
        self.core
            .refuse(envelope.message, envelope.reply, self.cause);
    }
}

/// The bare message of a raised event (which has no reply slot).
struct Unwrap;

impl<Mc: Machine> Visit<Mc, Asked> for Unwrap {
    type Output = Mc::Input<Bare>;

    fn visit<M: Message>(self, envelope: Envelope<M>) -> Self::Output
    where
        Mc: Accepts<M>,
    {
        Mc::input::<Bare>(envelope.message)
    }
}
