//! Shared helpers for the lockstep benchmarks.
