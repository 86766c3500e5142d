//! The race checker (in progress).
