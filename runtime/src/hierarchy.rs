//! What nesting machines needs at run time: the path of states from the outermost machine in
//! ([`StatePath`]), the static description of a substate machine ([`MachineInfo`]), and the helpers
//! the generated dispatch of a superstate calls to offer a message to its substates first.

use core::fmt;

use crate::machine::{Accepts, Cells, Machine, StateId, StateInfo};
use crate::message::Message;
use crate::outcome::Outcome;

/// How many levels a [`StatePath`] holds. A path of a deeper machine keeps its outermost
/// `MAX_DEPTH` levels and says so (`…`) when displayed.
pub const MAX_DEPTH: usize = 6;

/// The static description of a machine, as [`Machine`]'s constants hold it: what a superstate's
/// [`StateInfo::substates`] points at, so docs, tables and coverage can walk nested machines at
/// run time without knowing their types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MachineInfo {
    /// [`Machine::NAME`].
    pub name: &'static str,
    /// [`Machine::STATES`].
    pub states: &'static [StateInfo],
    /// [`Machine::MESSAGES`].
    pub messages: &'static [&'static str],
    /// [`Machine::CELL_TABLE`], read with [`cells`](MachineInfo::cells).
    pub cell_table: &'static [u8],
    /// [`Machine::INITIAL`].
    pub initial: StateId,
}

impl MachineInfo {
    /// The description of `Mc`.
    #[must_use]
    pub const fn of<Mc: Machine>() -> Self {
        MachineInfo {
            name: Mc::NAME,
            states: Mc::STATES,
            messages: Mc::MESSAGES,
            cell_table: Mc::CELL_TABLE,
            initial: Mc::INITIAL,
        }
    }

    /// Every declared cell, as [`Machine::cells`].
    #[must_use]
    pub fn cells(&self) -> Cells {
        Cells::new(self.cell_table)
    }
}

/// Stands in for a state when there is none to name: a poisoned driver, a stopped actor.
static POISONED: StateInfo = StateInfo::placeholder("<poisoned>");
static STOPPED: StateInfo = StateInfo::placeholder("<stopped>");

/// The state a machine is in, level by level from the outermost: `Active/Streaming` for a
/// `Session` in its superstate `Active` whose substate machine is in `Streaming`. A flat machine's
/// path has one level. Returned by [`Machine::state_path`] and carried by
/// [`Rejected`](crate::Rejected); `Copy` and allocation-free.
///
/// Compares equal to a `&str` holding the joined form: `path == "Active/Streaming"`.
#[derive(Clone, Copy)]
pub struct StatePath {
    levels: [&'static StateInfo; MAX_DEPTH],
    len: u8,
    /// Levels beyond [`MAX_DEPTH`] were cut off.
    cut: bool,
}

impl StatePath {
    /// A path of one level.
    #[must_use]
    pub const fn of(state: &'static StateInfo) -> Self {
        StatePath {
            levels: [state; MAX_DEPTH],
            len: 1,
            cut: false,
        }
    }

    /// The path of a driver whose machine was lost to a handler's panic: `<poisoned>`.
    #[must_use]
    pub fn poisoned() -> Self {
        Self::of(&POISONED)
    }

    /// The path of an actor that stopped: `<stopped>`.
    #[must_use]
    pub fn stopped() -> Self {
        Self::of(&STOPPED)
    }

    /// This path with `inner`'s levels appended: the generated `state_path` of a superstate.
    #[must_use]
    pub fn then(mut self, inner: StatePath) -> Self {
        for state in inner.levels() {
            if usize::from(self.len) == MAX_DEPTH {
                self.cut = true;
                return self;
            }
            self.levels[usize::from(self.len)] = state;
            self.len += 1;
        }
        self.cut |= inner.cut;
        self
    }

    /// How many levels: 1 for a flat machine.
    #[must_use]
    pub fn depth(&self) -> usize {
        usize::from(self.len)
    }

    /// The states from the outermost in.
    #[must_use]
    pub fn levels(&self) -> impl DoubleEndedIterator<Item = &'static StateInfo> + use<> {
        let levels = self.levels;
        levels.into_iter().take(usize::from(self.len))
    }

    /// The outermost state: the one [`Machine::state`] names.
    #[must_use]
    pub fn outermost(&self) -> &'static StateInfo {
        self.levels[0]
    }

    /// The innermost state.
    #[must_use]
    pub fn innermost(&self) -> &'static StateInfo {
        self.levels[usize::from(self.len) - 1]
    }

    /// The messages some level runs a handler for (`on` cells), innermost first: what a sender
    /// could have sent instead of a rejected message.
    /// A message two levels take is listed once, at the inner one, which decides it.
    pub fn accepted(&self) -> impl Iterator<Item = &'static str> + use<> {
        let path = *self;
        let depth = path.depth();
        (0..depth).rev().flat_map(move |level| {
            path.levels[level]
                .accepted
                .iter()
                .copied()
                .filter(move |name| {
                    !path.levels[level + 1..depth]
                        .iter()
                        .any(|inner| inner.accepted.contains(name))
                })
        })
    }
}

impl fmt::Display for StatePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, state) in self.levels().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            f.write_str(state.name)?;
        }
        if self.cut {
            f.write_str("/…")?;
        }
        Ok(())
    }
}

impl fmt::Debug for StatePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

impl PartialEq for StatePath {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len
            && self.cut == other.cut
            && self.levels().zip(other.levels()).all(|(a, b)| a == b)
    }
}

impl Eq for StatePath {}

impl core::hash::Hash for StatePath {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        for level in self.levels() {
            level.name.hash(state);
        }
    }
}

impl PartialEq<str> for StatePath {
    /// Compares with the joined form (`"Active/Streaming"`) without allocating.
    fn eq(&self, other: &str) -> bool {
        let mut rest = other;
        for (i, state) in self.levels().enumerate() {
            if i > 0 {
                let Some(tail) = rest.strip_prefix('/') else {
                    return false;
                };
                rest = tail;
            }
            let Some(tail) = rest.strip_prefix(state.name) else {
                return false;
            };
            rest = tail;
        }
        if self.cut {
            rest == "/…"
        } else {
            rest.is_empty()
        }
    }
}

impl PartialEq<&str> for StatePath {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

impl PartialEq<StatePath> for &str {
    fn eq(&self, other: &StatePath) -> bool {
        *other == **self
    }
}

/// A superstate offers a message to its substate machine first: the substate's outcome, lifted to
/// the superstate `at` (a move inside is a move one level deeper), or the message back when the
/// substate has no cell for it, for the superstate's own cell to decide.
#[doc(hidden)]
#[inline]
pub fn forward<I, M>(
    inner: I,
    context: &mut I::Context,
    message: M,
    at: u16,
) -> (I, Result<Outcome<M>, M>)
where
    I: Machine,
    M: ForwardedTo<I>,
{
    let (inner, outcome) = M::dispatch_in(inner, context, message);
    (inner, lift(outcome, at))
}

/// A level's timeout reaches the substate machine one level down (see [`forward`]).
#[doc(hidden)]
#[inline]
pub fn forward_timeout<I: Machine>(
    inner: I,
    context: &mut I::Context,
    timeout: crate::Timeout,
    at: u16,
) -> (I, Result<Outcome<crate::Timeout>, crate::Timeout>) {
    let (inner, outcome) = inner.dispatch_timeout(context, timeout);
    (inner, lift(outcome, at))
}

#[inline]
fn lift<M: Message>(outcome: Outcome<M>, at: u16) -> Result<Outcome<M>, M> {
    let at = StateId(at);
    Ok(match outcome {
        Outcome::Moved { level, reply, .. } => Outcome::Moved {
            from: at,
            to: at,
            level: level.saturating_add(1),
            reply,
        },
        Outcome::Stayed { reply, .. } => Outcome::Stayed { state: at, reply },
        Outcome::Discarded { reply, .. } => Outcome::Discarded { state: at, reply },
        Outcome::Deferred { message, .. } => Outcome::Deferred { state: at, message },
        Outcome::Rejected { message, .. } => return Err(message),
    })
}

/// The substate machine of a superstate shares its context: the bound the derive puts on a
/// `#[substates(..)]` variant's data, spanned on it.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the substates of `{Outer}`: a substate machine must be a `#[derive(Machine)]` enum with the same context as its superstate's machine",
    label = "not a machine with `{Outer}`'s context",
    note = "write `#[machine(context = ..)]` with the same type on both enums; one context implements both handler traits"
)]
pub trait SubstatesOf<Outer: Machine>: Machine<Context = Outer::Context> {}

#[diagnostic::do_not_recommend]
impl<Outer: Machine, Inner: Machine<Context = Outer::Context>> SubstatesOf<Outer> for Inner {}

/// A message a `#[substates(..)]` list names is one the substate machine accepts: the bound on
/// each listed message, spanned on it.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{I}` accepts no `{Self}` in any state, so its superstate cannot forward it",
    label = "`{I}` has no cell for `{Self}`",
    note = "remove `{Self}` from `#[substates(..)]`, or give a state of `{I}` a cell for it"
)]
pub trait ForwardedTo<I: Machine>: Message {
    /// `I`'s dispatch of this message.
    fn dispatch_in(inner: I, context: &mut I::Context, message: Self) -> (I, Outcome<Self>);
}

#[diagnostic::do_not_recommend]
impl<I: Accepts<M>, M: Message> ForwardedTo<I> for M {
    #[inline]
    fn dispatch_in(inner: I, context: &mut I::Context, message: M) -> (I, Outcome<M>) {
        inner.dispatch(context, message)
    }
}

/// The superstate's context, as its substate machine's: the one place the generated code asks
/// for `SubstatesOf`, so a substate machine with another context is one error, not one per call.
#[doc(hidden)]
#[inline]
pub fn ctx<Outer: Machine, I: SubstatesOf<Outer>>(context: &mut Outer::Context) -> &mut I::Context {
    context
}

/// Fails the build (in constant evaluation) when the substate machine accepts a message its
/// superstate's `#[substates(..)]` does not list: a derive cannot read the inner enum's spec, so
/// the list is written out, and this is what keeps it complete.
#[doc(hidden)]
pub const fn all_listed(inner: &[&str], listed: &[&str], inner_name: &str, superstate: &str) {
    const CAP: usize = 600;
    let mut buf = [0u8; CAP];
    let mut len = 0;
    let mut missing = 0;
    let mut i = 0;
    while i < inner.len() {
        let name = inner[i];
        i += 1;
        if eq(name, "Timeout") || contains(listed, name) {
            continue;
        }
        if missing == 0 {
            len = push(&mut buf, len, "`");
            len = push(&mut buf, len, inner_name);
            len = push(&mut buf, len, "` accepts ");
        } else {
            len = push(&mut buf, len, ", ");
        }
        len = push(&mut buf, len, "`");
        len = push(&mut buf, len, name);
        len = push(&mut buf, len, "`");
        missing += 1;
    }
    if missing == 0 {
        return;
    }
    len = push(&mut buf, len, ", which `#[substates(..)]` on `");
    len = push(&mut buf, len, superstate);
    len = push(
        &mut buf,
        len,
        "` does not list: add them to the list, so the superstate forwards them",
    );
    let (text, _) = buf.split_at(len);
    match core::str::from_utf8(text) {
        Ok(text) => panic!("{}", text),
        Err(_) => panic!("a substate machine accepts messages its superstate does not forward"),
    }
}

const fn eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn contains(list: &[&str], name: &str) -> bool {
    let mut i = 0;
    while i < list.len() {
        if eq(list[i], name) {
            return true;
        }
        i += 1;
    }
    false
}

/// Appends `text` to `buf` from `at`, as much as fits (cut at a character boundary).
const fn push(buf: &mut [u8], at: usize, text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut at = at;
    let mut i = 0;
    while i < bytes.len() && at < buf.len() {
        // Stop before a character that does not fit whole.
        if bytes[i] & 0xC0 != 0x80 {
            let width = if bytes[i] < 0x80 {
                1
            } else if bytes[i] >= 0xF0 {
                4
            } else if bytes[i] >= 0xE0 {
                3
            } else {
                2
            };
            if at + width > buf.len() {
                return at;
            }
        }
        buf[at] = bytes[i];
        at += 1;
        i += 1;
    }
    at
}
