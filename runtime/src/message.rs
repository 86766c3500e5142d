//! What a message is: a type, with the type of its reply.

/// A message a machine can be sent. Derive it with `#[derive(Message)]`.
///
/// A message names its reply type (`#[message(reply = R)]`, default `()`). Handlers of cells that
/// move to a state with data return that data *together with* the reply, as
/// [`WithReply<T>`](Message::WithReply): just `T` for messages without a reply, `(T, Reply)` otherwise,
/// so a handler of a plain message never writes `(paid, ())`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a lockstep message",
    label = "`{Self}` has no `#[derive(Message)]`",
    note = "add `#[derive(Message)]` to `{Self}` (and `#[message(reply = Type)]` if it has a reply)"
)]
pub trait Message: Sized {
    /// What the receiver answers. `()` for a message that is only told.
    type Reply;

    /// A value of type `T` together with this message's reply: `T` when the reply is `()`,
    /// `(T, Self::Reply)` otherwise.
    type WithReply<T>;

    /// The message's type name as written, without generic arguments (for errors, traces, docs).
    const NAME: &'static str;

    /// Splits a [`WithReply`](Message::WithReply) into the value and the reply.
    fn split_reply<T>(with: Self::WithReply<T>) -> (T, Self::Reply);

    /// Joins a value and the reply into a [`WithReply`](Message::WithReply).
    fn join_reply<T>(value: T, reply: Self::Reply) -> Self::WithReply<T>;

    /// The reply of a handler the user did not write (a provided handler method).
    ///
    /// For a message without a reply this is `()`. For a message with a reply there is no reply to make
    /// up, so the derive makes this a compile-time error that names the handler to write; it is evaluated
    /// only if a provided handler method is actually used for this message.
    #[doc(hidden)]
    fn __provided_reply<H: ?Sized>() -> Self::Reply;
}

/// Messages whose reply is `()`. Only these may be discarded (`#[discard(M)]`): a sender waiting for a
/// reply would otherwise be answered with nothing.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has a reply, so no state may discard it",
    label = "a sender asking `{Self}` waits for a reply that a discarded message never gets",
    note = "handle it with `#[on(..)]` and reply, or leave the cell undeclared so it is rejected with the message handed back"
)]
pub trait Tell: Message<Reply = ()> {}

// `do_not_recommend`: a message with a reply is reported as "not `Tell`" with the text above, not
// as a bare `Reply == ()` type mismatch.
#[diagnostic::do_not_recommend]
impl<M: Message<Reply = ()>> Tell for M {}

/// The reply type of message `M`: `Reply<Refund>` is `<Refund as Message>::Reply`.
pub type Reply<M> = <M as Message>::Reply;

/// What a handler of `M` returns when it moves to a state holding `T`: `T` alone for a message
/// without a reply, `(T, Reply<M>)` otherwise.
pub type WithReply<M, T> = <M as Message>::WithReply<T>;

/// The message a state's `#[timeout(..)]` cell takes: the state lasted as long as it declared.
///
/// Only a driver with a clock sends it (the actor arms a timer on entering such a state, cancels
/// it on leaving, and fences timers from earlier visits); no one else can make one, so a sender
/// cannot end a state early. The synchronous [`Driver`](crate::Driver) has no clock: a test fires
/// the timeout with `Driver::elapse`.
///
/// In nested machines each level has its own timer; the timeout remembers the level it was armed
/// for (0: the outermost machine's state), so a superstate's timeout reaches the superstate even
/// when its substate declares a timeout too.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Timeout {
    level: u8,
}

impl Timeout {
    /// The timeout of the state at `level` of the state path.
    pub(crate) fn at_level(level: usize) -> Self {
        Timeout {
            level: u8::try_from(level).unwrap_or(u8::MAX),
        }
    }

    /// For the substate machine one level down; `None` when the timeout is this level's own.
    pub(crate) const fn deeper(&self) -> Option<Self> {
        match self.level {
            0 => None,
            level => Some(Timeout { level: level - 1 }),
        }
    }
}

// Not listed among "other types implementing `Message`" when a user forgets the derive.
#[diagnostic::do_not_recommend]
impl Message for Timeout {
    type Reply = ();
    type WithReply<T> = T;
    const NAME: &'static str = "Timeout";

    fn split_reply<T>(with: T) -> (T, ()) {
        (with, ())
    }

    fn join_reply<T>(value: T, (): ()) -> T {
        value
    }

    fn __provided_reply<H: ?Sized>() {}
}
