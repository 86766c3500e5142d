//! The nested-dispatch count: a three-level lockstep machine (`Outer` → `Active(Mid)` →
//! `Work(Inner)`) against the same machine written by hand as nested `match`es, each level's
//! dispatch offering a message to the level inside first and falling back to its own arms. The
//! same callgrind method as the flat dispatch count (`count_dispatch`).

use std::fmt::Write as _;

/// The messages, in walk-code order: `Go`, `Stop`, `Step`, `Turn`, `Back`, `Add`, `Ping`.
const MESSAGES: [&str; 7] = ["Go", "Stop", "Step", "Turn", "Back", "Add", "Ping"];

/// Shared by both crates: the message structs (a `u32` payload each) and the context.
fn shared(derive: bool) -> String {
    let mut out = String::new();
    for m in MESSAGES {
        if derive {
            out.push_str("#[derive(Message)]\n");
            if m == "Ping" {
                out.push_str("#[message(reply = u64)]\n");
            }
        }
        let _ = writeln!(out, "pub struct {m}(pub u32);");
    }
    out.push_str("\n#[derive(Default)]\npub struct Ctx {\n    pub total: u64,\n}\n");
    out
}

/// The three machines of crate (a), with their handlers.
const LOCKSTEP_MACHINES: &str = r"
#[derive(Machine)]
#[machine(context = Ctx)]
pub enum Outer {
    #[initial]
    #[on(Go => Active)]
    Idle,
    #[substates(Step, Turn, Back, Add, Ping)]
    #[on(Stop => Idle)]
    #[on(Ping)]
    Active(Mid),
}

#[derive(Machine)]
#[machine(context = Ctx)]
pub enum Mid {
    #[initial]
    #[on(Step => Work)]
    Ready,
    #[substates(Turn, Back, Add)]
    #[on(Step => Ready)]
    #[on(Ping)]
    Work(Inner),
}

#[derive(Machine)]
#[machine(context = Ctx)]
pub enum Inner {
    #[initial]
    #[on(Add)]
    #[on(Turn => Right)]
    Left(u32),
    #[on(Add)]
    #[on(Back => Left)]
    Right(u32),
}

impl OuterHandlers for Ctx {
    fn idle_on_go(&mut self, m: Go) -> Mid { self.total += u64::from(m.0); Mid::Ready }
    fn active_on_stop(&mut self, _: Mid, m: Stop) { self.total += u64::from(m.0); }
    fn active_on_ping(&mut self, _: &mut Mid, m: Ping) -> u64 { self.total + u64::from(m.0) }
}

impl MidHandlers for Ctx {
    fn ready_on_step(&mut self, m: Step) -> Inner { self.total += u64::from(m.0); Inner::Left(m.0) }
    fn work_on_step(&mut self, _: Inner, m: Step) { self.total += u64::from(m.0); }
    fn work_on_ping(&mut self, _: &mut Inner, m: Ping) -> u64 { self.total * 2 + u64::from(m.0) }
}

impl InnerHandlers for Ctx {
    fn left_on_add(&mut self, n: &mut u32, m: Add) { *n = n.wrapping_add(m.0); self.total += u64::from(m.0); }
    fn left_on_turn(&mut self, n: u32, _: Turn) -> u32 { n }
    fn right_on_add(&mut self, n: &mut u32, m: Add) { *n = n.wrapping_sub(m.0); self.total += u64::from(*n); }
    fn right_on_back(&mut self, n: u32, _: Back) -> u32 { n }
}

/// The state as text, for comparing the two sides.
pub fn path(machine: &Outer) -> String {
    machine.state_path().to_string()
}
";

/// Crate (a): three derived machines.
pub fn lockstep_lib() -> String {
    let mut out = String::from(
        "//! Three nested machines.\n#![allow(missing_docs)]\n\nuse lockstep::{Machine, Message};\n\n",
    );
    out.push_str(&shared(true));
    out.push_str(LOCKSTEP_MACHINES);
    out
}

/// The three state enums of crate (b), with one `dispatch` per level.
const HAND_MACHINES: &str = r#"
pub enum Msg {
    Go(Go),
    Stop(Stop),
    Step(Step),
    Turn(Turn),
    Back(Back),
    Add(Add),
    Ping(Ping),
}

pub enum Outcome {
    Moved(Option<u64>),
    Stayed(Option<u64>),
    Rejected(Msg),
}

pub enum Outer {
    Idle,
    Active(Mid),
}

pub enum Mid {
    Ready,
    Work(Inner),
}

pub enum Inner {
    Left(u32),
    Right(u32),
}

impl Outer {
    #[inline]
    pub fn dispatch(self, ctx: &mut Ctx, msg: Msg) -> (Outer, Outcome) {
        match self {
            Outer::Idle => match msg {
                Msg::Go(m) => {
                    ctx.total += u64::from(m.0);
                    (Outer::Active(Mid::Ready), Outcome::Moved(None))
                }
                msg => (Outer::Idle, Outcome::Rejected(msg)),
            },
            Outer::Active(mid) => match mid.dispatch(ctx, msg) {
                (mid, Ok(outcome)) => (Outer::Active(mid), outcome),
                (mid, Err(msg)) => match msg {
                    Msg::Stop(m) => {
                        ctx.total += u64::from(m.0);
                        (Outer::Idle, Outcome::Moved(None))
                    }
                    Msg::Ping(m) => {
                        let reply = ctx.total + u64::from(m.0);
                        (Outer::Active(mid), Outcome::Stayed(Some(reply)))
                    }
                    msg => (Outer::Active(mid), Outcome::Rejected(msg)),
                },
            },
        }
    }
}

impl Mid {
    /// `Err` hands back a message this level has no arm for.
    #[inline]
    pub fn dispatch(self, ctx: &mut Ctx, msg: Msg) -> (Mid, Result<Outcome, Msg>) {
        match self {
            Mid::Ready => match msg {
                Msg::Step(m) => {
                    ctx.total += u64::from(m.0);
                    (Mid::Work(Inner::Left(m.0)), Ok(Outcome::Moved(None)))
                }
                msg => (Mid::Ready, Err(msg)),
            },
            Mid::Work(inner) => match inner.dispatch(ctx, msg) {
                (inner, Ok(outcome)) => (Mid::Work(inner), Ok(outcome)),
                (inner, Err(msg)) => match msg {
                    Msg::Step(m) => {
                        ctx.total += u64::from(m.0);
                        (Mid::Ready, Ok(Outcome::Moved(None)))
                    }
                    Msg::Ping(m) => {
                        let reply = ctx.total * 2 + u64::from(m.0);
                        (Mid::Work(inner), Ok(Outcome::Stayed(Some(reply))))
                    }
                    msg => (Mid::Work(inner), Err(msg)),
                },
            },
        }
    }
}

impl Inner {
    #[inline]
    pub fn dispatch(self, ctx: &mut Ctx, msg: Msg) -> (Inner, Result<Outcome, Msg>) {
        match (self, msg) {
            (Inner::Left(n), Msg::Add(m)) => {
                let n = n.wrapping_add(m.0);
                ctx.total += u64::from(m.0);
                (Inner::Left(n), Ok(Outcome::Stayed(None)))
            }
            (Inner::Left(n), Msg::Turn(_)) => (Inner::Right(n), Ok(Outcome::Moved(None))),
            (Inner::Right(n), Msg::Add(m)) => {
                let n = n.wrapping_sub(m.0);
                ctx.total += u64::from(n);
                (Inner::Right(n), Ok(Outcome::Stayed(None)))
            }
            (Inner::Right(n), Msg::Back(_)) => (Inner::Left(n), Ok(Outcome::Moved(None))),
            (inner, msg) => (inner, Err(msg)),
        }
    }
}

/// The state as text, for comparing the two sides.
pub fn path(machine: &Outer) -> String {
    match machine {
        Outer::Idle => String::from("Idle"),
        Outer::Active(Mid::Ready) => String::from("Active/Ready"),
        Outer::Active(Mid::Work(Inner::Left(_))) => String::from("Active/Work/Left"),
        Outer::Active(Mid::Work(Inner::Right(_))) => String::from("Active/Work/Right"),
    }
}
"#;

/// Crate (b): the same machine, one hand-written `dispatch` per level.
pub fn hand_lib() -> String {
    let mut out = String::from(
        "//! Three nested state enums, dispatched by hand.\n#![allow(missing_docs)]\n\n",
    );
    out.push_str(&shared(false));
    out.push_str(HAND_MACHINES);
    out
}

/// A fixed walk: mostly messages the innermost level takes, so most dispatches go through all three
/// levels; some that only an outer level takes, some rejected.
pub fn walk(len: usize) -> Vec<(usize, u32)> {
    let mut seed: u64 = 0x0051_ab1e_5eed;
    let mut next = move |n: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % n
    };
    // Weights per message code: Go, Stop, Step, Turn, Back, Add, Ping.
    let weights = [3, 1, 4, 8, 8, 16, 6];
    let sum: u64 = weights.iter().sum();
    (0..len)
        .map(|_| {
            let mut pick = next(sum);
            let mut code = 0;
            while pick >= weights[code] {
                pick -= weights[code];
                code += 1;
            }
            (code, u32::try_from(next(100)).unwrap_or(0))
        })
        .collect()
}

fn walk_items(walk: &[(usize, u32)], wrapper: &str) -> String {
    let mut out = format!("static WALK: [(u8, u32); {}] = [", walk.len());
    for (i, (m, p)) in walk.iter().enumerate() {
        if i % 16 == 0 {
            out.push_str("\n    ");
        }
        let _ = write!(out, "({m}, {p}), ");
    }
    out.push_str("\n];\n\n#[inline(always)]\nfn make(code: u8, p: u32) -> ");
    out.push_str(wrapper);
    out.push_str(" {\n    match code {\n");
    for (i, m) in MESSAGES.iter().enumerate() {
        let arm = if i + 1 == MESSAGES.len() {
            "_".to_owned()
        } else {
            i.to_string()
        };
        let _ = writeln!(out, "        {arm} => {wrapper}::{m}({m}(p)),");
    }
    out.push_str("    }\n}\n");
    out
}

fn main_loop() -> &'static str {
    "fn main() {
    let mut ctx = Ctx::default();
    let mut machine = Outer::Idle;
    let repeat: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    for _ in 0..repeat {
        for &(code, p) in &WALK {
            let input = make(black_box(code), black_box(p));
            machine = step(machine, &mut ctx, input);
        }
    }
    println!(\"total={} state={} dispatches={}\", ctx.total, path(&machine), repeat * WALK.len());
}
"
}

/// `examples/dispatch.rs` of crate (a).
pub fn lockstep_dispatch(walk: &[(usize, u32)]) -> String {
    let mut out = crate::emit::route_step(
        "Dispatches a fixed walk through the generated nested dispatch.",
        "nested_lockstep",
        "Outer",
    );
    out.push_str(&walk_items(walk, "OuterInput"));
    out.push_str(main_loop());
    out
}

/// `examples/dispatch.rs` of crate (b).
pub fn hand_dispatch(walk: &[(usize, u32)]) -> String {
    let mut out = String::from(
        "//! Dispatches a fixed walk through the hand-written nested `match`es.
use std::hint::black_box;

use nested_hand::*;

/// One dispatch: what callgrind counts (`--toggle-collect`).
#[inline(never)]
fn step(state: Outer, ctx: &mut Ctx, msg: Msg) -> Outer {
    let (state, outcome) = state.dispatch(ctx, msg);
    match outcome {
        Outcome::Moved(reply) | Outcome::Stayed(reply) => {
            black_box(reply);
        }
        Outcome::Rejected(msg) => {
            black_box(msg);
        }
    }
    state
}

",
    );
    out.push_str(&walk_items(walk, "Msg"));
    out.push_str(main_loop());
    out
}
