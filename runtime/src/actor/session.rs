//! A single owner's session with an actor, typed by the state it is in: asking for a message that
//! state does not take does not compile.

use core::marker::PhantomData;

use super::error::AskError;
use super::handle::Actor;
use crate::machine::{AcceptedBy, Machine, StateId};
use crate::typestate::{HandledBy, TypedState};

/// The only handle to an actor, with the state it is in as its type `S` (a state struct of a
/// `#[machine(typestate)]` machine). [`ask`](Session::ask) compiles only for messages `S` takes,
/// and returns the session in the next state.
///
/// Made by [`Actor::session`]. The type is exact while nothing but this session changes the
/// actor's state: no other handle exists (checked when the session starts), and the machine's
/// own timers, effects and raised events do not move it. If one does, the actor still rejects
/// what its real state does not take, at run time, with the message handed back.
pub struct Session<Mc: Machine, S> {
    actor: Actor<Mc>,
    state: PhantomData<fn() -> S>,
}

impl<Mc: Machine, S> core::fmt::Debug for Session<Mc, S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Session")
            .field("machine", &Mc::NAME)
            .field("state", &core::any::type_name::<S>())
            .finish()
    }
}

/// Why [`Actor::session`] did not start a session; the handle is handed back.
#[non_exhaustive]
pub enum Refused<Mc: Machine> {
    /// Other handles exist (clones, or running effects): they could change the state.
    Shared {
        /// The handle.
        actor: Actor<Mc>,
        /// How many handles exist, this one included.
        handles: usize,
    },
    /// The actor is in another state than the one asked for.
    OtherState {
        /// The handle.
        actor: Actor<Mc>,
        /// The state it is in.
        state: StateId,
    },
    /// The actor has stopped.
    Stopped,
}

impl<Mc: Machine> core::fmt::Debug for Refused<Mc> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Shared { handles, .. } => f
                .debug_struct("Shared")
                .field("handles", handles)
                .finish_non_exhaustive(),
            Self::OtherState { state, .. } => f
                .debug_struct("OtherState")
                .field("state", state)
                .finish_non_exhaustive(),
            Self::Stopped => f.write_str("Stopped"),
        }
    }
}

impl<Mc: Machine> core::fmt::Display for Refused<Mc> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Shared { handles, .. } => write!(
                f,
                "a session needs the only handle to the {} actor; {handles} exist",
                Mc::NAME
            ),
            Self::OtherState { state, .. } => write!(
                f,
                "the {} actor is in state `{}`",
                Mc::NAME,
                Mc::STATES[state.index()].name
            ),
            Self::Stopped => write!(f, "the {} actor has stopped", Mc::NAME),
        }
    }
}

impl<Mc: Machine> std::error::Error for Refused<Mc> {}

impl<Mc: Machine> Actor<Mc> {
    /// Starts a session in state `S`, consuming this handle, if it is the only one and the actor
    /// is in `S` (once what was sent before has run).
    ///
    /// # Errors
    /// [`Refused`], with the handle handed back.
    pub async fn session<S: TypedState<Machine = Mc>>(self) -> Result<Session<Mc, S>, Refused<Mc>> {
        let handles = self.handles();
        if handles > 1 {
            return Err(Refused::Shared {
                actor: self,
                handles,
            });
        }
        match self.state().await {
            None => Err(Refused::Stopped),
            Some(state) if state == S::STATE => Ok(Session {
                actor: self,
                state: PhantomData,
            }),
            Some(state) => Err(Refused::OtherState { actor: self, state }),
        }
    }
}

/// An [`ask`](Session::ask) in a session that failed: the error, and the handle (the session is
/// over, since the state may not be what its type said).
pub struct SessionError<Mc: Machine, M> {
    /// What went wrong; it hands the message back where it can.
    pub error: AskError<M>,
    /// The handle, to go on without a session.
    pub actor: Actor<Mc>,
}

impl<Mc: Machine, M> core::fmt::Display for SessionError<Mc, M> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.error)
    }
}

impl<Mc: Machine, M> core::fmt::Debug for SessionError<Mc, M> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SessionError")
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl<Mc: Machine, M> std::error::Error for SessionError<Mc, M> {}

impl<Mc: Machine, S> Session<Mc, S> {
    /// Asks `message`, which state `S` takes (a compile error otherwise: the bound
    /// [`HandledBy<S>`](crate::HandledBy) is [`Transition`](crate::Transition) written on the
    /// message), and returns the reply with the
    /// session in the state the cell moves to.
    ///
    /// # Errors
    /// As [`Actor::ask`], with the handle handed back in a [`SessionError`].
    pub async fn ask<M: AcceptedBy<Mc> + HandledBy<S>>(
        self,
        message: M,
    ) -> Result<(M::Reply, Session<Mc, <M as HandledBy<S>>::Next>), SessionError<Mc, M>> {
        match self.actor.ask(message).await {
            Ok(reply) => Ok((
                reply,
                Session {
                    actor: self.actor,
                    state: PhantomData,
                },
            )),
            Err(error) => Err(SessionError {
                error,
                actor: self.actor,
            }),
        }
    }

    /// Ends the session: the handle, to share or to send any message.
    #[must_use]
    pub fn into_actor(self) -> Actor<Mc> {
        self.actor
    }
}
