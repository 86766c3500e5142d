//! The sources of the generated crates: the lockstep machine, the hand-written equivalent, and the
//! `dispatch` example of each that the instruction count runs.

use std::fmt::Write as _;

use crate::spec::{Kind, Spec};

/// How a handler returns: the parts both sides share.
struct Handler {
    /// `s3_on_m17`.
    name: String,
    /// `state: D2, `, `state: &mut D2, ` or nothing.
    data_param: String,
    /// `M17`.
    message: String,
}

fn handler(spec: &Spec, state: usize, message: usize, stay: bool) -> Handler {
    let data_param = match (spec.states[state].data, stay) {
        (true, false) => format!("state: D{state}, "),
        (true, true) => format!("state: &mut D{state}, "),
        (false, _) => String::new(),
    };
    Handler {
        name: format!("s{state}_on_m{message}"),
        data_param,
        message: format!("M{message}"),
    }
}

/// The value of state `t` in a handler body: `S4` / `S7(D7(x))` (prefixed by `prefix`).
fn target_value(spec: &Spec, t: usize, prefix: &str) -> String {
    if spec.states[t].data {
        format!("{prefix}S{t}(D{t}(x))")
    } else {
        format!("{prefix}S{t}")
    }
}

/// `(value, message.0)` for a message with a reply, `value` otherwise.
fn with_reply(reply: bool, value: &str) -> String {
    if reply {
        format!("({value}, message.0)")
    } else {
        value.to_owned()
    }
}

/// The return type: `T` / `(T, u32)` / `u32` / nothing.
fn returns(reply: bool, value: Option<&str>) -> String {
    match (value, reply) {
        (Some(v), true) => format!(" -> ({v}, u32)"),
        (Some(v), false) => format!(" -> {v}"),
        (None, true) => " -> u32".to_owned(),
        (None, false) => String::new(),
    }
}

/// Which side a handler is written for: the multi-target cells differ (lockstep: the cell's enum,
/// whose variants are the declared targets; by hand: the state enum itself).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Lockstep,
    Hand,
}

/// Every handler method with its body (the same arithmetic on both sides), for the `impl` block.
fn handler_impls(spec: &Spec, side: Side) -> String {
    let mut out = String::new();
    for (i, state) in spec.states.iter().enumerate() {
        for cell in &state.cells {
            let reply = spec.replies[cell.message];
            let stay = matches!(cell.kind, Kind::Stay);
            let h = handler(spec, i, cell.message, stay);
            let x = if state.data && !stay {
                "let x = u64::from(message.0).wrapping_add(state.0);"
            } else {
                "let x = u64::from(message.0);"
            };
            let (ret, body) = match cell.kind {
                Kind::Move(t) if spec.states[t].data => {
                    let ty = format!("D{t}");
                    let value = with_reply(reply, &format!("D{t}(self.total ^ x)"));
                    (returns(reply, Some(&ty)), value)
                }
                Kind::Move(_) => {
                    let value = if reply { "message.0" } else { "" };
                    (
                        returns(reply, None),
                        format!("self.total = self.total.wrapping_add(x); {value}"),
                    )
                }
                Kind::Multi(a, b) => {
                    let ty = match side {
                        Side::Lockstep => format!("BigS{i}OnM{}", cell.message),
                        Side::Hand => "State".to_owned(),
                    };
                    let prefix = format!("{ty}::");
                    let prefix = prefix.as_str();
                    let pick = format!(
                        "if message.0 % 2 == 0 {{ {} }} else {{ {} }}",
                        target_value(spec, a, prefix),
                        target_value(spec, b, prefix)
                    );
                    (
                        returns(reply, Some(&ty)),
                        format!(
                            "self.total = self.total.wrapping_add(x); {}",
                            with_reply(reply, &pick)
                        ),
                    )
                }
                Kind::Stay if state.data => {
                    let value = if reply { "message.0" } else { "" };
                    (
                        returns(reply, None),
                        format!("state.0 = state.0.wrapping_add(x); {value}"),
                    )
                }
                Kind::Stay => {
                    let value = if reply { "message.0" } else { "" };
                    (
                        returns(reply, None),
                        format!("self.total = self.total.wrapping_add(x + 1); {value}"),
                    )
                }
                Kind::Discard | Kind::Defer => continue,
            };
            let Handler {
                name,
                data_param,
                message,
            } = h;
            let _ = writeln!(
                out,
                "    fn {name}(&mut self, {data_param}message: {message}){ret} {{ {x} {body} }}"
            );
        }
    }
    out
}

/// The items both sides share: message structs (lockstep derives `Message` on them), state data,
/// the context.
fn shared_items(spec: &Spec, derive: bool) -> String {
    let mut out = String::new();
    for (m, &reply) in spec.replies.iter().enumerate() {
        if derive {
            out.push_str("#[derive(Message)]\n");
            if reply {
                out.push_str("#[message(reply = u32)]\n");
            }
        }
        let _ = writeln!(out, "pub struct M{m}(pub u32);");
    }
    for (i, state) in spec.states.iter().enumerate() {
        if state.data {
            let _ = writeln!(out, "pub struct D{i}(pub u64);");
        }
    }
    out.push_str("\n#[derive(Default)]\npub struct Ctx {\n    pub total: u64,\n}\n\n");
    out
}

/// The `#[derive(Machine)]` enum alone: what the expansion timing feeds `expand_machine`.
pub fn lockstep_enum(spec: &Spec) -> String {
    let mut out = String::from("#[derive(Machine)]\n#[machine(context = Ctx)]\npub enum Big {\n");
    for (i, state) in spec.states.iter().enumerate() {
        if i == 0 {
            out.push_str("    #[initial]\n");
        }
        for cell in &state.cells {
            let m = cell.message;
            let _ = match cell.kind {
                Kind::Move(t) => writeln!(out, "    #[on(M{m} => S{t})]"),
                Kind::Multi(a, b) => writeln!(out, "    #[on(M{m} => S{a} | S{b})]"),
                Kind::Stay => writeln!(out, "    #[on(M{m})]"),
                Kind::Discard => writeln!(out, "    #[discard(M{m})]"),
                Kind::Defer => writeln!(out, "    #[defer(M{m})]"),
            };
        }
        if state.data {
            let _ = writeln!(out, "    S{i}(D{i}),");
        } else {
            let _ = writeln!(out, "    S{i},");
        }
    }
    out.push_str("}\n");
    out
}

/// Crate (a): the lockstep machine, with every handler implemented.
pub fn lockstep_lib(spec: &Spec) -> String {
    let mut out = String::from(
        "//! Generated by lockstep's compile benchmark: a 100 × 100 lockstep machine.\n\n\
         use lockstep::{Machine, Message};\n\n",
    );
    out.push_str(&shared_items(spec, true));
    out.push_str(&lockstep_enum(spec));
    out.push_str("\nimpl BigHandlers for Ctx {\n");
    out.push_str(&handler_impls(spec, Side::Lockstep));
    out.push_str("}\n");
    out
}

/// Crate (b): the same machine written by hand: the enums, one trait method per handler cell, and a
/// `match (state, message)` with one arm per declared cell and a catch-all that rejects.
pub fn hand_lib(spec: &Spec) -> String {
    let mut out = String::from(
        "//! Generated by lockstep's compile benchmark: the 100 × 100 machine written by hand.\n\n",
    );
    out.push_str(&shared_items(spec, false));
    out.push_str("pub enum Msg {\n");
    for m in 0..spec.replies.len() {
        let _ = writeln!(out, "    M{m}(M{m}),");
    }
    out.push_str("}\n\npub enum State {\n");
    for (i, state) in spec.states.iter().enumerate() {
        if state.data {
            let _ = writeln!(out, "    S{i}(D{i}),");
        } else {
            let _ = writeln!(out, "    S{i},");
        }
    }
    out.push_str(
        "}\n\n/// What a dispatch did; the reply is `Some` for the messages that have one.\n\
         pub enum Outcome {\n    Moved(Option<u32>),\n    Stayed(Option<u32>),\n    Discarded,\n    \
         Deferred(Msg),\n    Rejected(Msg),\n}\n\npub trait Handlers {\n",
    );
    out.push_str(&hand_trait(spec));
    out.push_str(
        "}\n\nimpl State {\n    pub fn dispatch(self, ctx: &mut Ctx, msg: Msg) -> (State, Outcome) {\n        \
         match (self, msg) {\n",
    );
    out.push_str(&hand_arms(spec));
    out.push_str(
        "            (state, msg) => (state, Outcome::Rejected(msg)),\n        }\n    }\n\n    \
         pub fn id(&self) -> u16 {\n        match self {\n",
    );
    for (i, state) in spec.states.iter().enumerate() {
        let pattern = if state.data { "(_)" } else { "" };
        let _ = writeln!(out, "            State::S{i}{pattern} => {i},");
    }
    out.push_str("        }\n    }\n}\n\nimpl Handlers for Ctx {\n");
    out.push_str(&handler_impls(spec, Side::Hand));
    out.push_str("}\n");
    out
}

fn hand_trait(spec: &Spec) -> String {
    let mut out = String::new();
    for (i, state) in spec.states.iter().enumerate() {
        for cell in &state.cells {
            let reply = spec.replies[cell.message];
            let stay = matches!(cell.kind, Kind::Stay);
            let ret = match cell.kind {
                Kind::Move(t) if spec.states[t].data => returns(reply, Some(&format!("D{t}"))),
                Kind::Move(_) | Kind::Stay => returns(reply, None),
                Kind::Multi(..) => returns(reply, Some("State")),
                Kind::Discard | Kind::Defer => continue,
            };
            let Handler {
                name,
                data_param,
                message,
            } = handler(spec, i, cell.message, stay);
            let _ = writeln!(
                out,
                "    fn {name}(&mut self, {data_param}message: {message}){ret};"
            );
        }
    }
    out
}

fn hand_arms(spec: &Spec) -> String {
    let mut out = String::new();
    for (i, state) in spec.states.iter().enumerate() {
        for cell in &state.cells {
            let m = cell.message;
            let reply = spec.replies[m];
            let name = format!("s{i}_on_m{m}");
            let (some, r) = if reply {
                ("Some(r)", "r")
            } else {
                ("None", "()")
            };
            let source = if state.data {
                format!("State::S{i}(d)")
            } else {
                format!("State::S{i}")
            };
            let data_arg = if state.data { "d, " } else { "" };
            let arm = match cell.kind {
                Kind::Move(t) => {
                    let next = if spec.states[t].data {
                        format!("State::S{t}(n)")
                    } else {
                        format!("State::S{t}")
                    };
                    let bind = match (spec.states[t].data, reply) {
                        (true, true) => "(n, r)",
                        (true, false) => "n",
                        (false, _) => r,
                    };
                    format!(
                        "({source}, Msg::M{m}(m)) => {{ let {bind} = ctx.{name}({data_arg}m); ({next}, Outcome::Moved({some})) }}"
                    )
                }
                Kind::Multi(..) => {
                    let bind = if reply { "(next, r)" } else { "next" };
                    format!(
                        "({source}, Msg::M{m}(m)) => {{ let {bind} = ctx.{name}({data_arg}m); (next, Outcome::Moved({some})) }}"
                    )
                }
                Kind::Stay if state.data => format!(
                    "(State::S{i}(mut d), Msg::M{m}(m)) => {{ let {r} = ctx.{name}(&mut d, m); (State::S{i}(d), Outcome::Stayed({some})) }}"
                ),
                Kind::Stay => format!(
                    "(State::S{i}, Msg::M{m}(m)) => {{ let {r} = ctx.{name}(m); (State::S{i}, Outcome::Stayed({some})) }}"
                ),
                Kind::Discard => {
                    let pattern = if state.data { "(_)" } else { "" };
                    format!(
                        "(state @ State::S{i}{pattern}, Msg::M{m}(_)) => (state, Outcome::Discarded),"
                    )
                }
                Kind::Defer => {
                    let pattern = if state.data { "(_)" } else { "" };
                    format!(
                        "(state @ State::S{i}{pattern}, msg @ Msg::M{m}(_)) => (state, Outcome::Deferred(msg)),"
                    )
                }
            };
            let _ = writeln!(out, "            {arm}");
        }
    }
    out
}

/// `static WALK: [(u8, u32); N] = [...]` and `make`, which builds message `code` with `payload`
/// (`Msg::M3(M3(p))` or `BigInput::M3(M3(p))`).
fn walk_items(walk: &[(usize, u32)], messages: usize, wrapper: &str) -> String {
    let mut out = format!("static WALK: [(u8, u32); {}] = [", walk.len());
    for (i, (m, p)) in walk.iter().enumerate() {
        if i % 16 == 0 {
            out.push_str("\n    ");
        }
        let _ = write!(out, "({m}, {p}), ");
    }
    let _ = write!(
        out,
        "\n];\n\n#[inline(always)]\nfn make(code: u8, p: u32) -> {wrapper} {{\n    match code {{\n"
    );
    for m in 0..messages - 1 {
        let _ = writeln!(out, "        {m} => {wrapper}::M{m}(M{m}(p)),");
    }
    let last = messages - 1;
    let _ = writeln!(
        out,
        "        _ => {wrapper}::M{last}(M{last}(p)),\n    }}\n}}"
    );
    out
}

/// The driver loop both examples share: `REPEAT` passes over the closed walk, one `step` per
/// message; prints the context's total and the final state so the two sides can be compared.
fn main_loop(state_id: &str, initial: &str) -> String {
    format!(
        "fn main() {{
    let mut ctx = Ctx::default();
    let mut machine = {initial};
    let repeat: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    for _ in 0..repeat {{
        for &(code, p) in &WALK {{
            let input = make(black_box(code), black_box(p));
            machine = step(machine, &mut ctx, input);
        }}
    }}
    println!(\"total={{}} state={{}} dispatches={{}}\", ctx.total, {state_id}, repeat * WALK.len());
}}
"
    )
}

/// `examples/dispatch.rs` of crate (a): messages go through `Machine::route` (what a driver does
/// with a queued message) to the generated `Accepts::dispatch`.
pub fn lockstep_dispatch(spec: &Spec, walk: &[(usize, u32)]) -> String {
    let mut out = route_step(
        "Dispatches a fixed walk through the generated `Accepts::dispatch`.",
        "machine_lockstep",
        "Big",
    );
    out.push_str(&walk_items(walk, spec.replies.len(), "BigInput"));
    out.push_str(&main_loop("Machine::state(&machine).0", "Big::S0"));
    out
}

/// `examples/dispatch.rs` of crate (b): the hand-written `match (state, message)`.
pub fn hand_dispatch(spec: &Spec, walk: &[(usize, u32)]) -> String {
    let mut out = String::from(
        "//! Dispatches a fixed walk through the hand-written `match (state, message)`.
use std::hint::black_box;

use machine_hand::*;

/// One dispatch: what callgrind counts (`--toggle-collect`).
#[inline(never)]
fn step(state: State, ctx: &mut Ctx, msg: Msg) -> State {
    let (state, outcome) = state.dispatch(ctx, msg);
    match outcome {
        Outcome::Moved(reply) | Outcome::Stayed(reply) => {
            black_box(reply);
        }
        Outcome::Discarded => {}
        Outcome::Deferred(msg) | Outcome::Rejected(msg) => {
            black_box(msg);
        }
    }
    state
}

",
    );
    out.push_str(&walk_items(walk, spec.replies.len(), "Msg"));
    out.push_str(&main_loop("machine.id()", "State::S0"));
    out
}

/// The head of a crate (a)'s `examples/dispatch.rs`: a visitor that dispatches through
/// `Machine::route` (what a driver does with a queued message) and the `step` callgrind counts.
/// Shared by the flat and the nested benchmark, which differ only in the crate and machine.
pub fn route_step(doc: &str, krate: &str, machine: &str) -> String {
    format!(
        "//! {doc}
use std::hint::black_box;

use lockstep::{{Accepts, Bare, Machine, Message, Outcome, Visit}};
use {krate}::*;

struct Step<'a> {{
    machine: {machine},
    ctx: &'a mut Ctx,
}}

impl Visit<{machine}, Bare> for Step<'_> {{
    type Output = {machine};
    #[inline(always)]
    fn visit<M: Message>(self, message: M) -> {machine}
    where
        {machine}: Accepts<M>,
    {{
        let (machine, outcome) = self.machine.dispatch(self.ctx, message);
        match outcome {{
            Outcome::Moved {{ reply, .. }} | Outcome::Stayed {{ reply, .. }} => {{
                black_box(reply);
            }}
            Outcome::Discarded {{ .. }} => {{}}
            Outcome::Deferred {{ message, .. }} | Outcome::Rejected {{ message, .. }} => {{
                black_box(message);
            }}
        }}
        machine
    }}
}}

/// One dispatch: what callgrind counts (`--toggle-collect`).
#[inline(never)]
fn step(machine: {machine}, ctx: &mut Ctx, input: {machine}Input) -> {machine} {{
    {machine}::route(input, Step {{ machine, ctx }})
}}

"
    )
}
