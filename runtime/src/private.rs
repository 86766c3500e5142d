//! Paths the generated code uses. Not public API: no semver guarantees.

pub use core;
pub use core::marker::PhantomData;
pub use core::option::Option::{self, None, Some};
pub use core::result::Result::{self, Err, Ok};
pub use core::time::Duration;

/// The reply of a discarded message: `()`. The bound is the check: only [`Tell`](crate::Tell) messages
/// may be discarded, and the error is spanned on the user's `#[discard(..)]`.
#[inline]
#[must_use]
pub fn discarded<M: crate::Tell>() -> M::Reply {}

/// The body of a provided handler method: drops the state's data and the message, and replies `()`
/// (a message with a reply fails the build here instead, naming the message).
#[inline]
pub fn provided<H: ?Sized, M: crate::Message, S>(state: S, message: M) -> M::Reply {
    drop((state, message));
    M::__provided_reply::<H>()
}

// Short constructors, so each of the ~1,000 arms of a large machine's dispatch is a few tokens:
// the proc-macro bridge and rustc's parser pay per token on every build.

/// `Outcome::Moved`.
#[inline]
pub const fn moved<M: crate::Message>(from: u16, to: u16, reply: M::Reply) -> crate::Outcome<M> {
    crate::Outcome::Moved {
        from: crate::StateId(from),
        to: crate::StateId(to),
        level: 0,
        reply,
    }
}

pub use crate::hierarchy::{ForwardedTo, SubstatesOf, all_listed, ctx, forward, forward_timeout};

/// The timeout for the substate machine one level down, or `None` (with the timeout handed back)
/// when it is this level's own.
#[inline]
pub fn deeper(timeout: crate::Timeout) -> Result<crate::Timeout, crate::Timeout> {
    timeout.deeper().ok_or(timeout)
}

/// `Outcome::Stayed`.
#[inline]
pub const fn stayed<M: crate::Message>(state: u16, reply: M::Reply) -> crate::Outcome<M> {
    crate::Outcome::Stayed {
        state: crate::StateId(state),
        reply,
    }
}

/// `Outcome::Discarded`; the bound is the check that only `Tell` messages are discarded.
#[inline]
pub fn discard<M: crate::Tell>(state: u16, message: M) -> crate::Outcome<M> {
    drop(message);
    crate::Outcome::Discarded {
        state: crate::StateId(state),
        reply: (),
    }
}

/// `Outcome::Deferred`.
#[inline]
pub const fn deferred<M: crate::Message>(state: u16, message: M) -> crate::Outcome<M> {
    crate::Outcome::Deferred {
        state: crate::StateId(state),
        message,
    }
}

/// `Outcome::Rejected` in the machine's current state.
#[inline]
pub fn reject<Mc: crate::Machine, M: crate::Message>(
    machine: Mc,
    message: M,
) -> (Mc, crate::Outcome<M>) {
    let state = machine.state();
    (
        machine,
        crate::Outcome::Rejected {
            state,
            message,
            reason: crate::Reason::NotAccepted,
        },
    )
}

/// `Message::split_reply`, with the message type named once.
#[inline]
pub fn split<M: crate::Message, T>(with: M::WithReply<T>) -> (T, M::Reply) {
    M::split_reply(with)
}

/// `Message::join_reply`, with the message type named once.
#[inline]
pub fn join<M: crate::Message, T>(value: T, reply: M::Reply) -> M::WithReply<T> {
    M::join_reply(value, reply)
}

/// What carrier `C` keeps for message `M`.
pub type Of<C, M> = <C as crate::Carrier>::Of<M>;

#[cfg(feature = "serde")]
pub use serde;

#[cfg(feature = "serde")]
pub use self::serde_input::{ReadVariant, deserialize_input, no_variant};

/// `Deserialize` for a generated input enum (`#[machine(derive(Deserialize))]`): the enum says how
/// to read the variant at an index ([`ReadVariant`]); the visitor, which would otherwise be
/// generated for every machine with all its generic parameters, is written once here.
#[cfg(feature = "serde")]
mod serde_input {
    use core::fmt;
    use core::marker::PhantomData;

    use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, VariantAccess, Visitor};

    /// Reads the message at `index` of `VARIANTS` (implemented by the generated input enum).
    pub trait ReadVariant<'de>: Sized {
        /// The enum's name.
        const NAME: &'static str;
        /// Its variants: the message names, in order.
        const VARIANTS: &'static [&'static str];
        /// Reads variant `index`'s payload.
        ///
        /// # Errors
        /// The format's, or [`no_variant`] for an index past `VARIANTS`.
        fn read<V: VariantAccess<'de>>(index: usize, variant: V) -> Result<Self, V::Error>;
    }

    /// Deserializes an input enum as an externally tagged enum, its variant named or numbered.
    ///
    /// # Errors
    /// The format's; an unknown message name.
    pub fn deserialize_input<'de, T, D>(deserializer: D) -> Result<T, D::Error>
    where
        T: ReadVariant<'de>,
        D: Deserializer<'de>,
    {
        deserializer.deserialize_enum(T::NAME, T::VARIANTS, InputVisitor(PhantomData))
    }

    /// The error of an index past the variants (which the index reader already refuses).
    #[must_use]
    pub fn no_variant<E: de::Error>(index: usize) -> E {
        E::custom(format_args!("no message at index {index}"))
    }

    struct InputVisitor<T>(PhantomData<fn() -> T>);

    impl<'de, T: ReadVariant<'de>> Visitor<'de> for InputVisitor<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a message of `{}`", T::NAME)
        }

        fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<T, A::Error> {
            let (index, variant) = data.variant_seed(VariantIndex(T::VARIANTS))?;
            T::read(index, variant)
        }
    }

    /// A variant's position, from its name or its number.
    struct VariantIndex(&'static [&'static str]);

    impl<'de> DeserializeSeed<'de> for VariantIndex {
        type Value = usize;

        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
            deserializer.deserialize_identifier(self)
        }
    }

    impl Visitor<'_> for VariantIndex {
        type Value = usize;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a message name")
        }

        fn visit_u64<E: de::Error>(self, value: u64) -> Result<usize, E> {
            usize::try_from(value)
                .ok()
                .filter(|&index| index < self.0.len())
                .ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(value), &self))
        }

        fn visit_str<E: de::Error>(self, value: &str) -> Result<usize, E> {
            self.0
                .iter()
                .position(|name| *name == value)
                .ok_or_else(|| E::unknown_variant(value, self.0))
        }

        fn visit_bytes<E: de::Error>(self, value: &[u8]) -> Result<usize, E> {
            match core::str::from_utf8(value) {
                Ok(name) => self.visit_str(name),
                Err(_) => Err(E::invalid_value(de::Unexpected::Bytes(value), &self)),
            }
        }
    }
}
