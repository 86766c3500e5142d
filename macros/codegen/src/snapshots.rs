//! The formatted expansion of every example machine, reviewed as snapshots
//! (`cargo insta review`, or `INSTA_UPDATE=always` then read the diff).

use crate::source::expand_source;

fn expansion(source: &str) -> String {
    expand_source(source).unwrap_or_else(|error| format!("unparsable example: {error}"))
}

#[test]
fn turnstile() {
    insta::assert_snapshot!(expansion(include_str!("../../../examples/turnstile.rs")));
}

#[test]
fn order() {
    insta::assert_snapshot!(expansion(include_str!("../../../examples/order.rs")));
}

#[test]
fn lost_update() {
    insta::assert_snapshot!(expansion(include_str!("../../../examples/lost_update.rs")));
}

#[test]
fn race_scenarios() {
    insta::assert_snapshot!(expansion(include_str!(
        "../../../examples/scenarios/mod.rs"
    )));
}

#[test]
fn generic_machines() {
    insta::assert_snapshot!(expansion(include_str!("../../../tests/generics.rs")));
}

#[test]
fn stubs_on_error() {
    // An unknown target: the handler trait keeps every valid method, with bodies, so the user's impl
    // block raises no second error; the compile_error! points at the unknown name.
    insta::assert_snapshot!(expansion(
        r"
        #[derive(Machine)]
        enum Door {
            #[initial]
            #[on(Open => Opend)]
            #[on(Lock => Locked)]
            Closed,
            #[on(Close => Closed)]
            Opened,
            #[on(Unlock => Closed)]
            Locked(Key),
        }
        "
    ));
}

#[test]
fn hooks_and_timeouts() {
    // Exit before the handler, enter after it (also in each branch of a multi-target cell and in
    // the typestate `send`), `timeout`, `timeout_input` and `start` in the `Machine` impl.
    insta::assert_snapshot!(expansion(include_str!("../../../tests/hooks.rs")));
}

#[test]
fn serde_input() {
    // `derive(Serialize, Deserialize)`: the input enum gets both through lockstep's re-export of
    // serde, bounded on what the carrier keeps (`Input<Replies>` is serializable when every reply
    // is); a generic machine's phantom variant is never written nor read.
    insta::assert_snapshot!(expansion(
        r"
        #[derive(Machine)]
        #[machine(context = Vault, derive(Serialize, Deserialize))]
        enum Safe<T: Clone> {
            #[initial]
            #[on(Deposit<T>)]
            #[on(Seal => Sealed)]
            Open,
            #[terminal]
            Sealed,
        }
        "
    ));
}
