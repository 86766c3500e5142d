//! Five more races, found and fixed (the first is `lost_update`): check-then-act (a double spend),
//! duplicate delivery over an at-least-once network, a privilege window after revocation, a
//! rate limit bypassed by a flood of requests, and numbered payments over a network that repeats
//! and reorders them (exactly once). For each, the race checker prints the naive
//! machine's shortest failing trace, then the fixed machine's clean report.
//!
//! Run it: `cargo run --example races`.

#[path = "scenarios/mod.rs"]
mod scenarios;

use lockstep::Gaps;
use lockstep::check::Network;
use lockstep::check::Report;
use scenarios::{double_spend, duplicate_delivery, exactly_once, privilege, rate_limit};

fn show(title: &str, naive: &Report, fixed: &Report) {
    println!("== {title} ==\n");
    println!("-- naive --\n{naive}\n");
    println!("-- fixed --\n{fixed}\n");
    assert!(!naive.is_ok(), "the naive machine has the race");
    fixed.assert_ok();
    assert!(fixed.complete, "the fix is checked over the whole space");
}

fn main() {
    show(
        "2. check-then-act: two withdrawals after reading the balance",
        &double_spend::naive().run(),
        &double_spend::fixed().run(),
    );
    show(
        "3. duplicate delivery: a payment over an at-least-once network",
        &duplicate_delivery::naive().run(),
        &duplicate_delivery::fixed().run(),
    );
    show(
        "4. privilege window: a privileged message after revocation",
        &privilege::naive().run(),
        &privilege::fixed().run(),
    );
    show(
        "5. rate-limit bypass: a flood of requests",
        &rate_limit::naive().run(),
        &rate_limit::fixed().run(),
    );
    for network in [Network::Duplicating, Network::Unordered] {
        show(
            &format!(
                "6. exactly once: numbered payments, {} network",
                network.name()
            ),
            &exactly_once::naive(network).run(),
            &exactly_once::enveloped(network, Gaps::Wait).run(),
        );
    }
}
