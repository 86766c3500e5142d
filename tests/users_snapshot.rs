//! What a user does to review the code generated for their own machine: expand the source file with
//! `lockstep_codegen::expand_source` and snapshot it with insta.

#[test]
fn order_machine_expansion() {
    let expansion = lockstep_codegen::expand_source(include_str!("../examples/order.rs"))
        .expect("the example is valid Rust");
    // The expansion holds every generated item of the machine...
    for item in [
        "pub trait OrderHandlers",
        "impl ::lockstep::Machine for Order",
        "impl ::lockstep::Accepts<Refund> for Order",
        "pub enum OrderInput",
        "pub const MERMAID: &'static str",
    ] {
        assert!(expansion.contains(item), "missing `{item}`");
    }
    // ...and is pinned as a snapshot, so any change to it shows up as a diff to review.
    insta::assert_snapshot!(expansion);
}

#[test]
fn unparsable_source_is_an_error_not_a_panic() {
    let error = lockstep_codegen::expand_source("enum {").unwrap_err();
    assert!(error.to_string().starts_with("not valid Rust source"));
}

#[test]
fn nested_machines_expansion() {
    let expansion = lockstep_codegen::expand_source(include_str!("../examples/session/mod.rs"))
        .expect("the example is valid Rust");
    insta::assert_snapshot!(expansion);
    for item in [
        // A superstate offers a forwarded message to its substate machine first...
        "Self::Active(state) => {",
        "let (state, outcome) = __lockstep::forward::<",
        // ...its timers are reached by level...
        "__lockstep::forward_timeout::<",
        "fn timeout_at(",
        // ...rejections name every level...
        "fn state_path(&self) -> ::lockstep::StatePath",
        // ...the static description points at the substate machine's...
        "&::lockstep::MachineInfo::of::<Phase>()",
        // ...and the list is checked against the substate machine.
        "::lockstep::__private::all_listed(",
    ] {
        assert!(expansion.contains(item), "missing `{item}`");
    }
}
