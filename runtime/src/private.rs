//! Paths the generated code uses. Not public API: no semver guarantees.

pub use core;
pub use core::marker::PhantomData;
pub use core::option::Option::{self, None, Some};
pub use core::result::Result::{self, Err, Ok};

/// The reply of a discarded message: `()`. The bound is the check: only [`Tell`](crate::Tell) messages
/// may be discarded, and the error is spanned on the user's `#[discard(..)]`.
#[inline(always)]
#[must_use]
pub fn discarded<M: crate::Tell>() -> M::Reply {}
