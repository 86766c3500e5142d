//! Random machine specs built from the grammar of `book/src/spec.md`, valid and invalid, each with
//! an oracle that says whether the derive must accept it. The oracle restates the spec's rules
//! independently of the codegen (from the book, not from `check.rs`), so a rule the codegen forgets
//! to enforce, or enforces where the book says the spec is fine, shows as a disagreement.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use proptest::collection::vec;
use proptest::prelude::*;

/// State names. Distinct snake cases that meet no message's (so no handler-name collisions unless
/// a case asks for one), and none of them a generated item's suffix.
pub const STATES: &[&str] = &[
    "Idle", "Busy", "Done", "Open", "Closed", "Paid", "Waiting", "Failed",
];
/// Message names.
pub const MESSAGES: &[&str] = &["Coin", "Push", "Tick", "Kick", "Ping", "Stop"];
/// Messages only a `#[substates(..)]` list brings in (the substate machine's own), though the
/// superstate's cells may name them too.
pub const FRESH: &[&str] = &["Hello", "Bye", "Chunk"];

#[derive(Clone, Debug)]
pub struct Spec {
    pub generic: bool,
    /// Which of [`GENERICS`] a generic machine declares.
    pub generic_form: usize,
    pub options: Vec<Opt>,
    /// `#[machine(..)]` keys all in one attribute, or one attribute each.
    pub options_split: bool,
    pub states: Vec<State>,
    /// Attributes on the enum that belong on a variant (`#[initial]`, `#[on(..)]` on the enum).
    pub misplaced_on_enum: Option<Misplaced>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Opt {
    Context,
    Exhaustive,
    Typestate,
    Derive,
    // Mistakes.
    UnknownKey,
    ContextWithoutType,
    ExhaustiveWithValue,
    TypestateWithValue,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Misplaced {
    Initial,
    On,
    Timeout,
    /// `#[machine(..)]` written on a variant instead of the enum (only rendered on a state).
    Machine,
}

// One flag per attribute the state may carry, as the user writes them.
#[allow(clippy::struct_excessive_bools)]
#[derive(Clone, Debug)]
pub struct State {
    /// Written as `r#Idle`: the same identifier as `Idle` to Rust.
    pub raw: bool,
    /// A name from outside the pool: `Input` and `Handlers` (whose typestate structs would be
    /// the input enum and the handler trait), `IDLE` (whose handlers are named like `Idle`'s).
    pub rename: Option<&'static str>,
    /// `#[terminal]`, `#[enter]` or `#[exit]` (the first it has) written twice.
    pub doubled: bool,
    /// `#[final]` written for `#[terminal]`.
    pub final_keyword: bool,
    /// Attributes that are not lockstep's (`#[allow(..)]`, `#[doc(alias = ..)]`): left alone.
    pub foreign: bool,
    pub shape: Shape,
    pub discriminant: bool,
    /// How many `#[initial]` it carries (0, 1, 2).
    pub initial: u8,
    pub initial_args: bool,
    pub terminal: bool,
    pub enter: bool,
    pub exit: bool,
    pub hook_args: bool,
    pub timeouts: Vec<Timeout>,
    pub cells: Vec<CellAttr>,
    /// A lockstep attribute on the state's data field, or `#[machine]` on the variant.
    pub misplaced: Option<Misplaced>,
    /// A doc comment (carried to the generated docs).
    pub doc: bool,
    /// `#[substates(..)]`: the state is a superstate (its data is the substate machine).
    pub substates: Option<SubList>,
}

/// A `#[substates(..)]` attribute as written.
#[derive(Clone, Debug)]
pub struct SubList {
    pub form: AttrForm,
    pub items: Vec<SubItem>,
    /// The attribute written twice.
    pub twice: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SubItem {
    Message(Msg),
    /// `history` (UML's pseudo-state, which lockstep keeps in data instead).
    History,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shape {
    Unit,
    Data,
    Named,
    Two,
    EmptyTuple,
}

#[derive(Clone, Debug)]
pub struct Timeout {
    pub duration: usize,
    pub targets: Vec<Target>,
    pub form: TimeoutForm,
}

/// A generic machine's parameters; the generated programs use the first (their handlers make a
/// `T` with `Default`).
pub const GENERICS: &[&str] = &[
    "<T: Default>",
    "<T>",
    "<'a, T: Default + 'a>",
    "<T: Default, const N: usize>",
    "<T> where T: Clone",
];

/// Durations as written, and whether each is one.
pub const DURATIONS: &[(&str, bool)] = &[
    ("30s", true),
    ("500ms", true),
    ("1.5s", true),
    ("5min", true),
    ("2h", true),
    ("0.000000001s", true),
    ("30", false),
    ("5sec", false),
    ("0s", false),
    ("1.5e2s", false),
    ("0.0000000001s", false),
    ("\"30s\"", false),
    ("99999999999999999999999999999999h", false),
    ("'s'", false),
];

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TimeoutForm {
    Normal,
    /// `#[timeout(5s, Target)]`
    Comma,
    /// `#[timeout]`
    NoParens,
    /// `#[timeout(5s =>)]`
    ArrowNothing,
}

#[derive(Clone, Debug)]
pub struct CellAttr {
    pub kind: Kind,
    pub form: AttrForm,
    pub items: Vec<Item>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    On,
    Discard,
    Defer,
    /// `#[ignore(..)]` for `#[discard(..)]`.
    Ignore,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AttrForm {
    Normal,
    NoParens,
    EmptyParens,
}

#[derive(Clone, Debug)]
pub struct Item {
    pub message: Msg,
    pub arrow: Arrow,
    pub targets: Vec<Target>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Msg {
    Plain(usize),
    Raw(usize),
    /// `crate::Coin`.
    Pathed(usize),
    /// `Put<T>` (only in generic machines).
    Generic,
    /// `&Coin`.
    Ref(usize),
    /// `lockstep::Timeout`, written by hand.
    LockstepTimeout,
    /// A message of the user's own named `Timeout`.
    UserTimeout,
    /// One of [`FRESH`].
    Fresh(usize),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Arrow {
    None,
    Fat,
    Thin,
    /// `=>` and nothing after it.
    FatNothing,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Target {
    /// The state at this index (unknown when past the last state).
    State(usize),
    Raw(usize),
    /// `Self::State`.
    Pathed(usize),
}

// ---- strategies ----
//
// Every strategy takes `sloppy`: a sloppy spec draws the grammar's mistakes at a few percent per
// choice (so it is nearly always invalid, often several ways); a clean one never draws a mistake
// and is then tidied (targets point at states, no cell twice) so it is usually valid, failing
// only on the graph rules (reachability, `exhaustive`, terminal states) that decide the rest.

fn weighted_bool(p: f64) -> impl Strategy<Value = bool> {
    proptest::bool::weighted(p)
}

/// The weight of a mistake's choice.
fn mistake(sloppy: bool) -> u32 {
    u32::from(sloppy)
}

fn target(sloppy: bool) -> impl Strategy<Value = Target> {
    prop_oneof![
        40 => (0..8usize).prop_map(Target::State),
        2 => (0..8usize).prop_map(Target::Raw),
        mistake(sloppy) => (0..8usize).prop_map(Target::Pathed),
    ]
}

fn message(generic: bool, sloppy: bool) -> impl Strategy<Value = Msg> {
    let m = mistake(sloppy);
    prop_oneof![
        60 => (0..MESSAGES.len()).prop_map(Msg::Plain),
        2 => (0..MESSAGES.len()).prop_map(Msg::Raw),
        2 * m => (0..MESSAGES.len()).prop_map(Msg::Pathed),
        if generic { 4 } else { 0 } => Just(Msg::Generic),
        m => (0..MESSAGES.len()).prop_map(Msg::Ref),
        m => Just(Msg::LockstepTimeout),
        1 => Just(Msg::UserTimeout),
    ]
}

fn item(generic: bool, sloppy: bool) -> impl Strategy<Value = Item> {
    let m = mistake(sloppy);
    (
        message(generic, sloppy),
        prop_oneof![30 => Just(Arrow::Fat), 12 => Just(Arrow::None), m => Just(Arrow::Thin), m => Just(Arrow::FatNothing)],
        prop_oneof![8 => vec(target(sloppy), 1..=1), 2 => vec(target(sloppy), 2..=3)],
    )
        .prop_map(|(message, arrow, targets)| Item {
            message,
            arrow,
            targets,
        })
}

fn cell_attr(generic: bool, sloppy: bool) -> impl Strategy<Value = CellAttr> {
    let m = mistake(sloppy);
    (
        prop_oneof![12 => Just(Kind::On), 3 => Just(Kind::Discard), 3 => Just(Kind::Defer), m => Just(Kind::Ignore)],
        prop_oneof![40 => Just(AttrForm::Normal), m => Just(AttrForm::NoParens), m => Just(AttrForm::EmptyParens)],
        prop_oneof![6 => vec(item(generic, sloppy), 1..=1), 1 => vec(item(generic, sloppy), 2..=3)],
        // A sloppy discard or defer sometimes keeps its target.
        weighted_bool(if sloppy { 0.1 } else { 0.0 }),
    )
        .prop_map(|(kind, form, mut items, keep_target)| {
            if kind != Kind::On && !keep_target {
                for item in &mut items {
                    if item.arrow == Arrow::Fat {
                        item.arrow = Arrow::None;
                    }
                }
            }
            CellAttr { kind, form, items }
        })
}

fn timeout(sloppy: bool) -> impl Strategy<Value = Timeout> {
    let m = mistake(sloppy);
    let durations = if sloppy { DURATIONS.len() } else { 6 };
    (
        0..durations,
        prop_oneof![2 => vec(target(sloppy), 0..=0), 6 => vec(target(sloppy), 1..=1), 1 => vec(target(sloppy), 2..=2)],
        prop_oneof![30 => Just(TimeoutForm::Normal), m => Just(TimeoutForm::Comma), m => Just(TimeoutForm::NoParens), m => Just(TimeoutForm::ArrowNothing)],
    )
        .prop_map(|(duration, targets, form)| Timeout {
            duration,
            targets,
            form,
        })
}

fn sub_item(sloppy: bool) -> impl Strategy<Value = SubItem> {
    let m = mistake(sloppy);
    prop_oneof![
        20 => (0..MESSAGES.len()).prop_map(|m| SubItem::Message(Msg::Plain(m))),
        12 => (0..FRESH.len()).prop_map(|m| SubItem::Message(Msg::Fresh(m))),
        2 => (0..MESSAGES.len()).prop_map(|m| SubItem::Message(Msg::Raw(m))),
        m => (0..MESSAGES.len()).prop_map(|m| SubItem::Message(Msg::Pathed(m))),
        m => (0..MESSAGES.len()).prop_map(|m| SubItem::Message(Msg::Ref(m))),
        m => Just(SubItem::Message(Msg::LockstepTimeout)),
        m => Just(SubItem::Message(Msg::UserTimeout)),
        m => Just(SubItem::History),
    ]
}

fn sub_list(sloppy: bool) -> impl Strategy<Value = SubList> {
    let m = mistake(sloppy);
    (
        prop_oneof![40 => Just(AttrForm::Normal), m => Just(AttrForm::NoParens), m => Just(AttrForm::EmptyParens)],
        vec(sub_item(sloppy), 1..4),
        weighted_bool(if sloppy { 0.03 } else { 0.0 }),
    )
        .prop_map(|(form, items, twice)| SubList { form, items, twice })
}

fn state(generic: bool, sloppy: bool) -> impl Strategy<Value = State> {
    let m = mistake(sloppy);
    let p = if sloppy { 0.03 } else { 0.0 };
    (
        (
            weighted_bool(0.05),
            weighted_bool(0.03),
            prop_oneof![24 => Just(Shape::Unit), 12 => Just(Shape::Data), m => Just(Shape::Named), m => Just(Shape::Two), m => Just(Shape::EmptyTuple)],
            weighted_bool(p),
            weighted_bool(p),
        ),
        (
            weighted_bool(0.1),
            weighted_bool(0.15),
            weighted_bool(0.15),
            weighted_bool(p),
            prop_oneof![8 => vec(timeout(sloppy), 0..=0), 3 => vec(timeout(sloppy), 1..=1), m => vec(timeout(sloppy), 2..=2)],
            vec(cell_attr(generic, sloppy), 0..4),
            prop_oneof![
                40 => Just(None),
                m => Just(Some(Misplaced::Initial)),
                m => Just(Some(Misplaced::On)),
                m => Just(Some(Misplaced::Timeout)),
                m => Just(Some(Misplaced::Machine)),
            ],
            weighted_bool(0.2),
        ),
        (
            prop_oneof![
                40 => Just(None),
                1 => Just(Some("Input")),
                1 => Just(Some("Handlers")),
                1 => Just(Some("IDLE")),
            ],
            weighted_bool(p),
            weighted_bool(p),
            weighted_bool(0.1),
            prop_oneof![1 => Just(None), 1 => sub_list(sloppy).prop_map(Some)],
        ),
    )
        .prop_map(
            move |(
                (raw, _, shape, discriminant, initial_args),
                (terminal, enter, exit, hook_args, timeouts, cells, misplaced, doc),
                (rename, doubled, final_keyword, foreign, substates),
            )| State {
                raw,
                rename,
                doubled,
                final_keyword,
                foreign,
                shape,
                discriminant,
                initial: 0,
                initial_args,
                terminal,
                enter,
                exit,
                hook_args,
                timeouts,
                cells,
                misplaced,
                doc,
                // A clean spec makes superstates of states with data only; a sloppy one also of
                // a few others (a mistake).
                substates: substates.filter(|_| shape == Shape::Data || (sloppy && !raw)),
            },
        )
}

fn options(sloppy: bool) -> BoxedStrategy<Vec<Opt>> {
    if sloppy {
        vec(
            prop_oneof![
                3 => Just(Opt::Context),
                3 => Just(Opt::Exhaustive),
                3 => Just(Opt::Typestate),
                3 => Just(Opt::Derive),
                1 => Just(Opt::UnknownKey),
                1 => Just(Opt::ContextWithoutType),
                1 => Just(Opt::ExhaustiveWithValue),
                1 => Just(Opt::TypestateWithValue),
            ],
            0..4,
        )
        .boxed()
    } else {
        (
            weighted_bool(0.3),
            weighted_bool(0.3),
            weighted_bool(0.3),
            weighted_bool(0.3),
        )
            .prop_map(|(context, exhaustive, typestate, derive)| {
                [
                    (context, Opt::Context),
                    (exhaustive, Opt::Exhaustive),
                    (typestate, Opt::Typestate),
                    (derive, Opt::Derive),
                ]
                .into_iter()
                .filter_map(|(on, option)| on.then_some(option))
                .collect()
            })
            .boxed()
    }
}

/// A random spec: half sloppy, half clean (see above).
pub fn spec() -> impl Strategy<Value = Spec> {
    any::<bool>().prop_flat_map(spec_of)
}

/// A clean spec that the oracle calls valid.
pub fn valid_spec() -> impl Strategy<Value = Spec> {
    spec_of(false).prop_filter("valid", |spec| spec.oracle().is_ok())
}

fn spec_of(sloppy: bool) -> impl Strategy<Value = Spec> {
    weighted_bool(0.15).prop_flat_map(move |generic| {
        let m = mistake(sloppy);
        (
            (Just(generic), 0..GENERICS.len()),
            Just(sloppy),
            options(sloppy),
            any::<bool>(),
            prop_oneof![m => vec(state(generic, sloppy), 0..1), 20 => vec(state(generic, sloppy), 1..7)],
            // How many states are initial; a sloppy spec may have none or two.
            prop_oneof![30 => Just(1u8), m => Just(0u8), m => Just(2u8)],
            any::<prop::sample::Index>(),
            // Whether to wire each later state from an earlier one (keeps most specs connected).
            weighted_bool(0.95),
            vec(any::<prop::sample::Index>(), 8),
            prop_oneof![
                40 => Just(None),
                m => Just(Some(Misplaced::Initial)),
                m => Just(Some(Misplaced::On)),
                m => Just(Some(Misplaced::Timeout)),
            ],
            // Whether an `exhaustive` machine gets its undecided cells filled in.
            weighted_bool(0.9),
        )
            .prop_map(
                |(
                    (generic, generic_form),
                    sloppy,
                    options,
                    options_split,
                    mut states,
                    initials,
                    first,
                    wire,
                    picks,
                    misplaced_on_enum,
                    fill,
                )| {
                    let n = states.len();
                    // Each name once (two variants of one name are rustc's error, not the derive's).
                    let mut renamed = BTreeSet::new();
                    for state in &mut states {
                        if state.rename.is_some_and(|name| !renamed.insert(name)) {
                            state.rename = None;
                        }
                    }
                    if n > 0 {
                        if !sloppy {
                            tidy(&mut states);
                        }
                        let first = first.index(n);
                        for k in 0..usize::from(initials) {
                            states[(first + k) % n].initial += 1;
                        }
                        if wire {
                            connect(&mut states, first, &picks);
                        }
                        if fill && options.contains(&Opt::Exhaustive) {
                            decide_every_cell(&mut states);
                        }
                    }
                    Spec {
                        generic,
                        generic_form,
                        options,
                        options_split,
                        states,
                        misplaced_on_enum,
                    }
                },
            )
    })
}

/// The name a message is written with (its spelling decides its identity, bar `r#`).
fn message_name(message: Msg) -> Option<&'static str> {
    match message {
        Msg::Plain(m) | Msg::Raw(m) | Msg::Pathed(m) | Msg::Ref(m) => Some(MESSAGES[m]),
        Msg::Generic => Some("Put"),
        Msg::UserTimeout => Some("Timeout"),
        Msg::LockstepTimeout => None,
        Msg::Fresh(m) => Some(FRESH[m]),
    }
}

/// Every message a state's `#[substates(..)]` lists.
fn listed(state: &State) -> impl Iterator<Item = Msg> + '_ {
    state
        .substates
        .iter()
        .flat_map(|list| &list.items)
        .filter_map(|item| match item {
            SubItem::Message(message) => Some(*message),
            SubItem::History => None,
        })
}

/// Makes a clean spec's pieces fit together: targets name existing states, once each; a state
/// declares each message once; a state with cells is not terminal; a message of the user's named
/// `Timeout` only where no state has a timeout.
fn tidy(states: &mut [State]) {
    let n = states.len();
    // A machine with a superstate has `lockstep::Timeout` among its messages.
    let any_timeout = states
        .iter()
        .any(|s| !s.timeouts.is_empty() || s.substates.is_some());
    let fix = |targets: &mut Vec<Target>| {
        let mut seen = BTreeSet::new();
        targets.retain_mut(|t| {
            let (Target::State(i) | Target::Raw(i) | Target::Pathed(i)) = t;
            *i %= n;
            seen.insert(*i)
        });
    };
    for state in states.iter_mut() {
        for timeout in &mut state.timeouts {
            fix(&mut timeout.targets);
        }
        let mut declared = BTreeSet::new();
        for cell in &mut state.cells {
            cell.items.retain_mut(|item| {
                fix(&mut item.targets);
                if item.arrow == Arrow::Fat && item.targets.is_empty() {
                    item.arrow = Arrow::None;
                }
                let name = message_name(item.message);
                !(any_timeout && item.message == Msg::UserTimeout)
                    && name.is_none_or(|name| declared.insert(name))
            });
        }
        state.cells.retain(|c| !c.items.is_empty());
        if let Some(list) = &mut state.substates {
            let mut listed = BTreeSet::new();
            list.items.retain(|item| match item {
                SubItem::Message(message) => {
                    message_name(*message).is_some_and(|n| listed.insert(n))
                }
                SubItem::History => false,
            });
        }
        if !state.cells.is_empty() || !state.timeouts.is_empty() || state.substates.is_some() {
            state.terminal = false;
        }
    }
}

/// Adds `#[on(M => S)]` so that every state is reached: each state after the initial one (in an
/// order starting there) gets a move from a state before it, on a message that state does not
/// handle yet. Terminal states are never the source.
fn connect(states: &mut [State], initial: usize, picks: &[prop::sample::Index]) {
    let n = states.len();
    let order: Vec<usize> = (0..n).map(|k| (initial + k) % n).collect();
    for (position, &to) in order.iter().enumerate().skip(1) {
        let pick = &picks[position % picks.len()];
        let sources: Vec<usize> = order[..position]
            .iter()
            .copied()
            .filter(|&s| !states[s].terminal)
            .collect();
        let Some(&from) = sources.get(pick.index(sources.len().max(1))) else {
            continue;
        };
        let used: BTreeSet<&str> = states[from]
            .cells
            .iter()
            .flat_map(|c| &c.items)
            .filter_map(|i| message_name(i.message))
            .collect();
        let Some(message) = (0..MESSAGES.len()).find(|&m| !used.contains(MESSAGES[m])) else {
            continue;
        };
        states[from].cells.push(CellAttr {
            kind: Kind::On,
            form: AttrForm::Normal,
            items: vec![Item {
                message: Msg::Plain(message),
                arrow: Arrow::Fat,
                targets: vec![Target::State(to)],
            }],
        });
    }
}

/// For `exhaustive`: every non-terminal state defers (or discards) each message it leaves
/// undecided, written as the spec first writes that message.
fn decide_every_cell(states: &mut [State]) {
    let mut messages: BTreeMap<&str, Msg> = BTreeMap::new();
    for item in states.iter().flat_map(|s| &s.cells).flat_map(|c| &c.items) {
        if let Some(name) = message_name(item.message) {
            messages.entry(name).or_insert(item.message);
        }
    }
    // A forwarded message is the machine's too; a superstate leaves its own undecided (its
    // substates decide it).
    for message in states.iter().flat_map(listed) {
        if let Some(name) = message_name(message) {
            messages.entry(name).or_insert(message);
        }
    }
    for (index, state) in states.iter_mut().enumerate() {
        if state.terminal {
            continue;
        }
        let declared: BTreeSet<&str> = state
            .cells
            .iter()
            .flat_map(|c| &c.items)
            .map(|i| i.message)
            .chain(listed(state))
            .filter_map(message_name)
            .collect();
        let items: Vec<Item> = messages
            .iter()
            .filter(|(name, _)| !declared.contains(*name))
            .map(|(_, &message)| Item {
                message,
                arrow: Arrow::None,
                targets: Vec::new(),
            })
            .collect();
        if !items.is_empty() {
            let kind = if index % 2 == 0 {
                Kind::Defer
            } else {
                Kind::Discard
            };
            state.cells.push(CellAttr {
                kind,
                form: AttrForm::Normal,
                items,
            });
        }
    }
}

// ---- rendering ----

impl Spec {
    fn state_name(&self, index: usize) -> &'static str {
        match self.states.get(index) {
            Some(State {
                rename: Some(name), ..
            }) => name,
            _ => STATES[index],
        }
    }

    fn target_text(&self, target: Target) -> String {
        match target {
            Target::State(i) => self.state_name(i).to_owned(),
            Target::Raw(i) => format!("r#{}", self.state_name(i)),
            Target::Pathed(i) => format!("Self::{}", self.state_name(i)),
        }
    }

    fn targets_text(&self, targets: &[Target]) -> String {
        targets
            .iter()
            .map(|&t| self.target_text(t))
            .collect::<Vec<_>>()
            .join(" | ")
    }

    fn data_type(&self) -> &'static str {
        if self.generic { "T" } else { "u32" }
    }

    /// The type of a state's data: a superstate's is its substate machine, `Sub{index}`.
    fn state_data_type(&self, index: usize) -> String {
        if self.states[index].substates.is_some() {
            format!("Sub{index}")
        } else {
            self.data_type().to_owned()
        }
    }

    /// The enum as the user would write it (with `#[derive(Machine)]`, which the pipeline ignores,
    /// like the derive input rustc hands a derive).
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("#[derive(Machine)]\n");
        let options: Vec<&str> = self
            .options
            .iter()
            .map(|o| match o {
                Opt::Context => "context = Counter",
                Opt::Exhaustive => "exhaustive",
                Opt::Typestate => "typestate",
                Opt::Derive => "derive(Debug, Clone, PartialEq)",
                Opt::UnknownKey => "contxt = Counter",
                Opt::ContextWithoutType => "context",
                Opt::ExhaustiveWithValue => "exhaustive = true",
                Opt::TypestateWithValue => "typestate(yes)",
            })
            .collect();
        if self.options_split {
            for o in &options {
                let _ = writeln!(out, "#[machine({o})]");
            }
        } else if !options.is_empty() {
            let _ = writeln!(out, "#[machine({})]", options.join(", "));
        }
        match self.misplaced_on_enum {
            Some(Misplaced::Initial) => out.push_str("#[initial]\n"),
            Some(Misplaced::On) => out.push_str("#[on(Coin => Idle)]\n"),
            Some(Misplaced::Timeout) => out.push_str("#[timeout(30s)]\n"),
            Some(Misplaced::Machine) | None => {}
        }
        // A bound, so the handlers of a generated program can make a `T`.
        let generics = if self.generic {
            GENERICS[self.generic_form]
        } else {
            ""
        };
        let _ = writeln!(out, "pub enum Flow{generics} {{");
        for (index, state) in self.states.iter().enumerate() {
            self.render_state(index, state, &mut out);
        }
        out.push_str("}\n");
        out
    }

    fn render_state(&self, index: usize, state: &State, out: &mut String) {
        if state.doc {
            let _ = writeln!(out, "    /// The state number {index}.");
        }
        if state.foreign {
            out.push_str("    #[allow(unused)]\n    #[doc(alias = \"other\")]\n");
        }
        if state.final_keyword {
            out.push_str("    #[final]\n");
        }
        if state.misplaced == Some(Misplaced::Machine) {
            out.push_str("    #[machine(exhaustive)]\n");
        }
        for k in 0..state.initial {
            if state.initial_args && k == 0 {
                out.push_str("    #[initial(yes)]\n");
            } else {
                out.push_str("    #[initial]\n");
            }
        }
        let twice =
            |on: bool, first: bool| usize::from(on) * (1 + usize::from(state.doubled && first));
        for _ in 0..twice(state.terminal, true) {
            out.push_str("    #[terminal]\n");
        }
        let hook = |name: &str| {
            if state.hook_args {
                format!("    #[{name}(now)]\n")
            } else {
                format!("    #[{name}]\n")
            }
        };
        for _ in 0..twice(state.enter, !state.terminal) {
            out.push_str(&hook("enter"));
        }
        for _ in 0..twice(state.exit, !state.terminal && !state.enter) {
            out.push_str(&hook("exit"));
        }
        for timeout in &state.timeouts {
            let duration = DURATIONS[timeout.duration].0;
            let targets = self.targets_text(&timeout.targets);
            let _ = match (timeout.form, timeout.targets.is_empty()) {
                (TimeoutForm::Normal, true) => writeln!(out, "    #[timeout({duration})]"),
                (TimeoutForm::Normal, false) => {
                    writeln!(out, "    #[timeout({duration} => {targets})]")
                }
                (TimeoutForm::Comma, _) => writeln!(out, "    #[timeout({duration}, {targets})]"),
                (TimeoutForm::NoParens, _) => writeln!(out, "    #[timeout]"),
                (TimeoutForm::ArrowNothing, _) => writeln!(out, "    #[timeout({duration} =>)]"),
            };
        }
        if let Some(list) = &state.substates {
            render_substates(list, out);
        }
        for cell in &state.cells {
            let keyword = match cell.kind {
                Kind::On => "on",
                Kind::Discard => "discard",
                Kind::Defer => "defer",
                Kind::Ignore => "ignore",
            };
            match cell.form {
                AttrForm::NoParens => {
                    let _ = writeln!(out, "    #[{keyword}]");
                }
                AttrForm::EmptyParens => {
                    let _ = writeln!(out, "    #[{keyword}()]");
                }
                AttrForm::Normal => {
                    let items: Vec<String> = cell.items.iter().map(|i| self.item_text(i)).collect();
                    let _ = writeln!(out, "    #[{keyword}({})]", items.join(", "));
                }
            }
        }
        let name = if state.raw {
            format!("r#{}", self.state_name(index))
        } else {
            self.state_name(index).to_owned()
        };
        let ty = self.state_data_type(index);
        let field_attr = match state.misplaced {
            Some(Misplaced::Initial) => "#[initial] ",
            Some(Misplaced::On) => "#[on(Coin)] ",
            Some(Misplaced::Timeout) => "#[timeout(1s)] ",
            Some(Misplaced::Machine) | None => "",
        };
        let shape = match state.shape {
            // A misplaced attribute on a field needs a field: a unit state gets one in its place.
            Shape::Unit if !field_attr.is_empty() => format!("({field_attr}{ty})"),
            Shape::Unit => String::new(),
            Shape::Data => format!("({field_attr}{ty})"),
            Shape::Named => format!(" {{ {field_attr}value: {ty} }}"),
            Shape::Two => format!("({field_attr}{ty}, u8)"),
            Shape::EmptyTuple => "()".to_owned(),
        };
        let discriminant = if state.discriminant { " = 7" } else { "" };
        let _ = writeln!(out, "    {name}{shape}{discriminant},");
    }

    fn item_text(&self, item: &Item) -> String {
        let message = message_text(item.message);
        let targets = self.targets_text(&item.targets);
        match item.arrow {
            Arrow::None => message,
            Arrow::Fat if targets.is_empty() => message,
            Arrow::Fat => format!("{message} => {targets}"),
            Arrow::Thin => format!("{message} -> {targets}"),
            Arrow::FatNothing => format!("{message} =>"),
        }
    }
}

/// `#[substates(..)]` as written (twice when the list says so).
fn render_substates(list: &SubList, out: &mut String) {
    let text = match list.form {
        AttrForm::NoParens => "    #[substates]\n".to_owned(),
        AttrForm::EmptyParens => "    #[substates()]\n".to_owned(),
        AttrForm::Normal => {
            let items: Vec<String> = list
                .items
                .iter()
                .map(|item| match item {
                    SubItem::Message(message) => message_text(*message),
                    SubItem::History => "history".to_owned(),
                })
                .collect();
            format!("    #[substates({})]\n", items.join(", "))
        }
    };
    for _ in 0..=usize::from(list.twice) {
        out.push_str(&text);
    }
}

fn message_text(message: Msg) -> String {
    match message {
        Msg::Plain(m) => MESSAGES[m].to_owned(),
        Msg::Raw(m) => format!("r#{}", MESSAGES[m]),
        Msg::Pathed(m) => format!("crate::{}", MESSAGES[m]),
        Msg::Generic => "Put<T>".to_owned(),
        Msg::Ref(m) => format!("&{}", MESSAGES[m]),
        Msg::LockstepTimeout => "lockstep::Timeout".to_owned(),
        Msg::UserTimeout => "Timeout".to_owned(),
        Msg::Fresh(m) => FRESH[m].to_owned(),
    }
}

// ---- the oracle ----

/// A message's identity as the spec's rules see it: its name, and how its path is written (a
/// raw identifier is the same identifier, so `r#Coin` is written like `Coin`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Key {
    /// (name index, written with `crate::`).
    Named(usize, bool),
    Put,
    UserTimeout,
    Fresh(usize),
}

impl Key {
    fn name(self) -> &'static str {
        match self {
            Key::Named(m, _) => MESSAGES[m],
            Key::Put => "Put",
            Key::UserTimeout => "Timeout",
            Key::Fresh(m) => FRESH[m],
        }
    }
}

/// A resolved cell: what a state does with a message.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Move(Vec<usize>),
    Stay,
    Discard,
    Defer,
}

/// The machine as the derive should understand it, when the spec is valid.
#[derive(Debug)]
pub struct Resolved {
    pub initial: usize,
    /// Per state, its cells by message name (`Timeout` for its timeout).
    pub cells: Vec<BTreeMap<&'static str, Action>>,
    /// Every message name some cell or `#[substates(..)]` list mentions (besides the timeout),
    /// sorted.
    pub messages: Vec<&'static str>,
    /// Per state, the messages it forwards to its substate machine.
    pub forwards: Vec<BTreeSet<&'static str>>,
}

impl Spec {
    /// Why the derive must reject this spec (the first reason found), or the machine it describes.
    #[allow(clippy::too_many_lines)]
    pub fn oracle(&self) -> Result<Resolved, String> {
        let n = self.states.len();
        if n == 0 {
            return Err("no states".into());
        }
        let mut seen_options = BTreeSet::new();
        for &option in &self.options {
            match option {
                Opt::Context | Opt::Exhaustive | Opt::Typestate => {
                    if !seen_options.insert(format!("{option:?}")) {
                        return Err(format!("{option:?} set twice"));
                    }
                }
                Opt::Derive => {}
                _ => return Err(format!("bad option {option:?}")),
            }
        }
        if self.misplaced_on_enum.is_some() {
            return Err("a state attribute on the enum".into());
        }
        let typestate = self.options.contains(&Opt::Typestate);
        let exhaustive = self.options.contains(&Opt::Exhaustive);
        let initials: Vec<usize> = (0..n).filter(|&i| self.states[i].initial > 0).collect();
        let [initial] = initials[..] else {
            return Err("not exactly one initial state".into());
        };
        let mut cells: Vec<BTreeMap<&'static str, Action>> = vec![BTreeMap::new(); n];
        // How each message name is written, to find one name written two ways.
        let mut spelled: BTreeMap<&'static str, Key> = BTreeMap::new();
        let any_timeout = self.states.iter().any(|s| !s.timeouts.is_empty());
        // A superstate reaches its substates' timers through `lockstep::Timeout`, so the machine
        // has that message whether or not a state declares a timeout.
        let nested = self.states.iter().any(|s| s.substates.is_some());
        let mut forwards: Vec<BTreeSet<&'static str>> = vec![BTreeSet::new(); n];
        let resolve = |targets: &[Target]| -> Result<Vec<usize>, String> {
            let mut out = Vec::new();
            for &target in targets {
                let index = match target {
                    Target::State(i) | Target::Raw(i) => i,
                    Target::Pathed(_) => return Err("a target with a path".into()),
                };
                if index >= n {
                    return Err("unknown target".into());
                }
                if out.contains(&index) {
                    return Err("a target listed twice".into());
                }
                out.push(index);
            }
            Ok(out)
        };
        for (index, state) in self.states.iter().enumerate() {
            if state.shape != Shape::Unit && state.shape != Shape::Data {
                return Err("a state shape that is not unit or one field".into());
            }
            if state.discriminant {
                return Err("a discriminant".into());
            }
            if state.initial > 1 || (state.initial_args && state.initial > 0) {
                return Err("`#[initial]` twice or with arguments".into());
            }
            if state.hook_args && (state.enter || state.exit) {
                return Err("a hook with arguments".into());
            }
            if state.misplaced.is_some() {
                return Err("an attribute in the wrong place".into());
            }
            if matches!(state.rename, Some("Input" | "Handlers")) && typestate {
                return Err("a state named like a generated item".into());
            }
            if state.rename == Some("IDLE")
                && index != 0
                && self.states.first().is_some_and(|s| s.rename.is_none())
            {
                return Err("`IDLE` and `Idle`: one handler prefix".into());
            }
            if state.doubled && (state.terminal || state.enter || state.exit) {
                return Err("a marker written twice".into());
            }
            if state.final_keyword {
                return Err("`#[final]`".into());
            }
            if state.timeouts.len() > 1 {
                return Err("two timeouts".into());
            }
            if let Some(timeout) = state.timeouts.first() {
                if timeout.form != TimeoutForm::Normal || !DURATIONS[timeout.duration].1 {
                    return Err("a malformed timeout".into());
                }
                if state.terminal {
                    return Err("a timeout on a terminal state".into());
                }
                let action = if timeout.targets.is_empty() {
                    Action::Stay
                } else {
                    Action::Move(resolve(&timeout.targets)?)
                };
                cells[index].insert("Timeout", action);
            }
            for cell in &state.cells {
                if cell.kind == Kind::Ignore && cell.form == AttrForm::NoParens {
                    // Rust's own test attribute, no cell: not the derive's business.
                    continue;
                }
                if cell.kind == Kind::Ignore {
                    return Err("`ignore`".into());
                }
                if cell.form != AttrForm::Normal || cell.items.is_empty() {
                    return Err("a cell attribute without a message list".into());
                }
                if state.terminal {
                    return Err("a cell on a terminal state".into());
                }
                for item in &cell.items {
                    let key = match item.message {
                        Msg::Plain(m) | Msg::Raw(m) => Key::Named(m, false),
                        Msg::Pathed(m) => Key::Named(m, true),
                        Msg::Generic => Key::Put,
                        Msg::Ref(_) => return Err("a message that is not a path".into()),
                        Msg::LockstepTimeout => {
                            return Err("`lockstep::Timeout` by hand".into());
                        }
                        Msg::UserTimeout => Key::UserTimeout,
                        Msg::Fresh(m) => Key::Fresh(m),
                    };
                    if key == Key::UserTimeout && (any_timeout || nested) {
                        return Err(
                            "a message named `Timeout` next to `#[timeout]` or `#[substates]`"
                                .into(),
                        );
                    }
                    if *spelled.entry(key.name()).or_insert(key) != key {
                        return Err("one message name written two ways".into());
                    }
                    let action = match (cell.kind, item.arrow) {
                        (Kind::On, Arrow::None) => Action::Stay,
                        (Kind::On, Arrow::Fat) => Action::Move(resolve(&item.targets)?),
                        (_, Arrow::Thin | Arrow::FatNothing) => {
                            return Err("a malformed arrow".into());
                        }
                        (Kind::Discard | Kind::Defer, Arrow::Fat) => {
                            return Err("a target on discard or defer".into());
                        }
                        (Kind::Discard, Arrow::None) => Action::Discard,
                        (Kind::Defer, Arrow::None) => Action::Defer,
                        (Kind::Ignore, _) => unreachable!("returned above"),
                    };
                    if cells[index].insert(key.name(), action).is_some() {
                        return Err("a cell declared twice".into());
                    }
                }
            }
        }
        for (index, state) in self.states.iter().enumerate() {
            if let Some(list) = &state.substates {
                forwards[index] = Self::forwarded(state, list, &mut spelled)?;
            }
        }
        // Every state reachable from the initial one through moves.
        let mut reached = vec![false; n];
        let mut stack = vec![initial];
        reached[initial] = true;
        while let Some(state) = stack.pop() {
            for action in cells[state].values() {
                if let Action::Move(targets) = action {
                    for &t in targets {
                        if !reached[t] {
                            reached[t] = true;
                            stack.push(t);
                        }
                    }
                }
            }
        }
        if reached.contains(&false) {
            return Err("an unreachable state".into());
        }
        let messages: Vec<&'static str> = spelled.keys().copied().collect();
        if exhaustive {
            for (index, state) in self.states.iter().enumerate() {
                let decided =
                    |m: &&str| cells[index].contains_key(m) || forwards[index].contains(m);
                if !state.terminal && !messages.iter().all(decided) {
                    return Err("an undecided cell in an exhaustive machine".into());
                }
            }
        }
        Ok(Resolved {
            initial,
            cells,
            messages,
            forwards,
        })
    }

    /// The book's rules for a `#[substates(..)]` list (`hierarchy.md`): on a non-terminal state
    /// with data, once, listing at least one message, each once, never `Timeout` nor `history`.
    /// The messages it lists are the machine's, spelled one way like any other.
    fn forwarded(
        state: &State,
        list: &SubList,
        spelled: &mut BTreeMap<&'static str, Key>,
    ) -> Result<BTreeSet<&'static str>, String> {
        if state.shape != Shape::Data {
            return Err("`#[substates]` on a state without data".into());
        }
        if list.twice {
            return Err("`#[substates]` written twice".into());
        }
        if list.form != AttrForm::Normal || list.items.is_empty() {
            return Err("`#[substates]` without a message list".into());
        }
        if state.terminal {
            return Err("a terminal superstate".into());
        }
        let mut out = BTreeSet::new();
        for item in &list.items {
            let key = match *item {
                SubItem::History => return Err("`history` in `#[substates]`".into()),
                SubItem::Message(Msg::LockstepTimeout | Msg::UserTimeout) => {
                    return Err("`Timeout` in `#[substates]`".into());
                }
                SubItem::Message(Msg::Ref(_)) => {
                    return Err("a listed message that is not a path".into());
                }
                SubItem::Message(Msg::Plain(m) | Msg::Raw(m)) => Key::Named(m, false),
                SubItem::Message(Msg::Pathed(m)) => Key::Named(m, true),
                SubItem::Message(Msg::Generic) => Key::Put,
                SubItem::Message(Msg::Fresh(m)) => Key::Fresh(m),
            };
            if *spelled.entry(key.name()).or_insert(key) != key {
                return Err("one message name written two ways".into());
            }
            if !out.insert(key.name()) {
                return Err("a message listed twice in `#[substates]`".into());
            }
        }
        Ok(out)
    }
}

// ---- a runnable program for a valid spec ----

impl Spec {
    /// Whether [`Spec::program`] can write this valid spec out as a program: no message type of
    /// the user's named `Timeout` (it would shadow nothing, but reads badly next to
    /// `lockstep::Timeout`), and a generic machine uses its `T` in some state's data (rustc
    /// rejects an unused parameter).
    pub fn runnable(&self) -> bool {
        let no_user_timeout = self
            .states
            .iter()
            .flat_map(|s| &s.cells)
            .flat_map(|c| &c.items)
            .all(|i| i.message != Msg::UserTimeout);
        let uses_t = !self.generic
            || (self.generic_form == 0
                && self
                    .states
                    .iter()
                    .any(|s| s.shape == Shape::Data && s.substates.is_none()));
        no_user_timeout && uses_t
    }

    /// What a sample of programs should cover between them.
    pub fn features(&self, resolved: &Resolved) -> BTreeSet<&'static str> {
        let mut out = BTreeSet::new();
        let actions = resolved.cells.iter().flat_map(BTreeMap::iter);
        for (message, action) in actions {
            out.insert(match action {
                Action::Move(t) if t.len() > 1 => "multi-target",
                Action::Move(_) => "move",
                Action::Stay => "stay",
                Action::Discard => "discard",
                Action::Defer => "defer",
            });
            if *message == "Timeout" {
                out.insert("timeout");
            }
        }
        for (flag, name) in [
            (self.generic, "generic"),
            (self.options.contains(&Opt::Typestate), "typestate"),
            (self.options.contains(&Opt::Exhaustive), "exhaustive"),
            (self.options.contains(&Opt::Derive), "derive"),
            (self.states.iter().any(|s| s.enter), "enter"),
            (self.states.iter().any(|s| s.exit), "exit"),
            (self.states.iter().any(|s| s.terminal), "terminal"),
            (self.states.iter().any(|s| s.raw), "raw"),
            (self.states.iter().any(|s| s.shape == Shape::Data), "data"),
            (self.states.len() >= 5, "five states"),
            (!Self::replies(resolved).is_empty(), "reply"),
            (
                self.states.iter().any(|s| s.substates.is_some()),
                "substates",
            ),
            (
                (0..self.states.len()).any(|i| {
                    resolved.forwards[i]
                        .iter()
                        .any(|m| resolved.cells[i].contains_key(m))
                }),
                "a superstate's cell on a forwarded message",
            ),
        ] {
            if flag {
                out.insert(name);
            }
        }
        out
    }

    /// The messages that reply (`u32`, always 9) in the program: `Kick` and `Ping`, unless some
    /// state discards them (a discarded message has no reply to give).
    fn replies(resolved: &Resolved) -> BTreeSet<&'static str> {
        ["Kick", "Ping"]
            .into_iter()
            .filter(|name| resolved.messages.contains(name))
            .filter(|name| {
                resolved
                    .cells
                    .iter()
                    .all(|cells| cells.get(name) != Some(&Action::Discard))
            })
            .collect()
    }

    /// The type of a message in a handler's signature.
    fn message_type(message: &str) -> String {
        match message {
            "Timeout" => "::lockstep::Timeout".to_owned(),
            "Put" => "Put<T>".to_owned(),
            other => other.to_owned(),
        }
    }

    /// A value of state data a handler makes.
    fn data_value(&self) -> &'static str {
        if self.generic { "T::default()" } else { "7" }
    }

    /// The data a handler makes for state `index`: a superstate starts in its substate machine's
    /// first state.
    fn data_value_of(&self, index: usize) -> String {
        if self.states[index].substates.is_some() {
            format!("Sub{index}::One")
        } else {
            self.data_value().to_owned()
        }
    }

    /// The substate machine a program writes for superstate `index`, as its cells: `One` moves
    /// to `Two` on the first listed message and stays on every other even-numbered one; `Two`
    /// moves back on the odd-numbered ones. So it accepts exactly what the list forwards.
    fn inner_cells(resolved: &Resolved, index: usize) -> [BTreeMap<&'static str, Action>; 2] {
        let mut cells = [BTreeMap::new(), BTreeMap::new()];
        for (k, &message) in resolved.forwards[index].iter().enumerate() {
            match k {
                0 => cells[0].insert(message, Action::Move(vec![1])),
                k if k % 2 == 1 => cells[1].insert(message, Action::Move(vec![0])),
                _ => cells[0].insert(message, Action::Stay),
            };
        }
        cells
    }

    /// The substate machines of the superstates, with their handlers (counted like the outer
    /// machine's).
    fn write_substate_machines(resolved: &Resolved, out: &mut String) {
        let replies = Self::replies(resolved);
        for index in 0..resolved.forwards.len() {
            if resolved.forwards[index].is_empty() {
                continue;
            }
            let cells = Self::inner_cells(resolved, index);
            let _ = writeln!(
                out,
                "\n#[derive(lockstep::Machine, Debug, Clone, PartialEq)]\n#[machine(context = Counter)]\npub enum Sub{index} {{\n    #[initial]"
            );
            let mut handlers = String::new();
            for (state, name) in [(0, "One"), (1, "Two")] {
                for (message, action) in &cells[state] {
                    let method = format!("{}_on_{}", snake(name), snake(message));
                    let reply = replies.contains(message);
                    let (returns, body) = if reply {
                        (" -> u32", "\n        9")
                    } else {
                        ("", "")
                    };
                    let _ = writeln!(
                        handlers,
                        "    fn {method}(&mut self, _: {message}){returns} {{\n        self.handlers += 1;{body}\n    }}"
                    );
                    let _ = match action {
                        Action::Move(to) => {
                            let to = if to[0] == 0 { "One" } else { "Two" };
                            writeln!(out, "    #[on({message} => {to})]")
                        }
                        _ => writeln!(out, "    #[on({message})]"),
                    };
                }
                let _ = writeln!(out, "    {name},");
            }
            let _ = writeln!(
                out,
                "}}\n\nimpl Sub{index}Handlers for Counter {{\n{handlers}}}"
            );
        }
    }

    /// A whole program: the messages, the machine, a context that implements every handler and
    /// hook (each counting its calls), and a `main` that drives the machine with the synchronous
    /// `Driver` through `steps` and asserts, after each, the state the spec says it is in and
    /// whether the message was accepted; at the end, the handler and hook counts.
    pub fn program(&self, resolved: &Resolved, title: &str, steps: &[usize]) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "// {title}\n// Generated by `macros/codegen/tests/never_panics.rs` from a random valid spec;\n\
             // regenerate with `LOCKSTEP_REGENERATE=1 cargo test -p lockstep-codegen --test never_panics`.\n\
             #![allow(dead_code, unused_imports, unused_variables, non_camel_case_types)]\n\
             use lockstep::{{Driver, Message, Reason}};\n"
        );
        let replies = Self::replies(resolved);
        for name in &resolved.messages {
            let body = if *name == "Put" { "<T>(pub T)" } else { "" };
            let reply = if replies.contains(name) {
                "#[message(reply = u32)]\n"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "#[derive(Message, Debug, Clone, PartialEq)]\n{reply}pub struct {name}{body};"
            );
        }
        out.push_str(
            "\n#[derive(Default)]\npub struct Counter {\n    handlers: u32,\n    enters: u32,\n    exits: u32,\n}\n\n",
        );
        let mut machine = self.render();
        if !self.options.contains(&Opt::Context) {
            // The handlers need a context that counts.
            machine = machine.replacen("pub enum", "#[machine(context = Counter)]\npub enum", 1);
        }
        out.push_str(&machine.replacen("#[derive(Machine)]", "#[derive(lockstep::Machine)]", 1));
        self.write_handlers(resolved, &mut out);
        Self::write_substate_machines(resolved, &mut out);
        self.write_main(resolved, steps, &mut out);
        out
    }

    /// The context's impl of the handler trait: every handler and hook, each counting its calls.
    fn write_handlers(&self, resolved: &Resolved, out: &mut String) {
        if self.generic {
            out.push_str("\nimpl<T: Default> FlowHandlers<T> for Counter {\n");
        } else {
            out.push_str("\nimpl FlowHandlers for Counter {\n");
        }
        let replies = Self::replies(resolved);
        for (index, state) in self.states.iter().enumerate() {
            let ty = self.state_data_type(index);
            let state_snake = snake(self.state_name(index));
            let has_data = state.shape == Shape::Data;
            for (message, action) in &resolved.cells[index] {
                let message_ty = Self::message_type(message);
                let method = format!("{state_snake}_on_{}", snake(message));
                match action {
                    Action::Move(targets) => {
                        let data = if has_data {
                            format!("data: {ty}, ")
                        } else {
                            String::new()
                        };
                        // (type, value) of what the handler makes for the next state, if anything.
                        let next = if let [to] = targets[..] {
                            (self.states[to].shape == Shape::Data)
                                .then(|| (self.state_data_type(to), self.data_value_of(to)))
                        } else {
                            // The handler chooses the last target it lists.
                            let to = *targets.last().unwrap_or(&0);
                            let enum_name = format!("Flow{}On{message}", self.state_name(index));
                            let value = if self.states[to].shape == Shape::Data {
                                format!(
                                    "{enum_name}::{}({})",
                                    self.state_name(to),
                                    self.data_value_of(to)
                                )
                            } else {
                                format!("{enum_name}::{}", self.state_name(to))
                            };
                            let generics = if self.generic { "<T>" } else { "" };
                            Some((format!("{enum_name}{generics}"), value))
                        };
                        let (returns, body) = match (next, replies.contains(message)) {
                            (Some((t, v)), false) => (format!(" -> {t}"), format!("\n        {v}")),
                            (Some((t, v)), true) => {
                                (format!(" -> ({t}, u32)"), format!("\n        ({v}, 9)"))
                            }
                            (None, true) => (" -> u32".to_owned(), "\n        9".to_owned()),
                            (None, false) => (String::new(), String::new()),
                        };
                        let _ = writeln!(
                            out,
                            "    fn {method}(&mut self, {data}_: {message_ty}){returns} {{\n        self.handlers += 1;{body}\n    }}"
                        );
                    }
                    Action::Stay => {
                        let data = if has_data {
                            format!("data: &mut {ty}, ")
                        } else {
                            String::new()
                        };
                        let (returns, body) = if replies.contains(message) {
                            (" -> u32", "\n        9")
                        } else {
                            ("", "")
                        };
                        let _ = writeln!(
                            out,
                            "    fn {method}(&mut self, {data}_: {message_ty}){returns} {{\n        self.handlers += 1;{body}\n    }}"
                        );
                    }
                    Action::Discard | Action::Defer => {}
                }
            }
            let ty = &ty;
            for (hook, on) in [("enter", state.enter), ("exit", state.exit)] {
                if on {
                    let data = if has_data {
                        format!(", data: &mut {ty}")
                    } else {
                        String::new()
                    };
                    let _ = writeln!(
                        out,
                        "    fn {hook}_{state_snake}(&mut self{data}) {{\n        self.{hook}s += 1;\n    }}"
                    );
                }
            }
        }
        out.push_str("}\n");
    }

    /// The assertion of the state the reference run is in: its path (`Busy/Two`) in a machine
    /// with superstates, else its name.
    fn write_state_assertion(
        &self,
        resolved: &Resolved,
        current: usize,
        inner: usize,
        out: &mut String,
    ) {
        if resolved.forwards.iter().all(BTreeSet::is_empty) {
            let _ = writeln!(
                out,
                "    assert_eq!(driver.state_name(), {:?});",
                self.state_name(current)
            );
        } else if resolved.forwards[current].is_empty() {
            let _ = writeln!(
                out,
                "    assert_eq!(driver.state_path(), {:?});",
                self.state_name(current)
            );
        } else {
            let path = format!("{}/{}", self.state_name(current), ["One", "Two"][inner]);
            let _ = writeln!(out, "    assert_eq!(driver.state_path(), {path:?});");
        }
    }

    /// The value of the first state `main` builds the driver with.
    fn initial_value(&self, initial: usize) -> String {
        let turbofish = if self.generic { "::<u32>" } else { "" };
        let name = self.state_name(initial);
        if self.states[initial].substates.is_some() {
            format!("Flow{turbofish}::{name}(Sub{initial}::One)")
        } else if self.states[initial].shape == Shape::Data {
            format!("Flow{turbofish}::{name}(0)")
        } else {
            format!("Flow{turbofish}::{name}")
        }
    }

    /// `main`: the steps, each followed by the state the spec says the machine is in.
    fn write_main(&self, resolved: &Resolved, steps: &[usize], out: &mut String) {
        out.push_str("\nfn main() {\n    let mut context = Counter::default();\n");
        let initial_value = self.initial_value(resolved.initial);
        let _ = writeln!(
            out,
            "    let mut driver = Driver::new({initial_value});\n    driver.start(&mut context);"
        );
        let replies = Self::replies(resolved);
        // The reference run: the spec interpreted step by step. `inner` is the substate (0: `One`,
        // 1: `Two`) while `current` is a superstate.
        let inner_cells: Vec<_> = (0..self.states.len())
            .map(|i| Self::inner_cells(resolved, i))
            .collect();
        let mut current = resolved.initial;
        let mut inner = 0usize;
        let (mut handlers, mut enters, mut exits) = (0u32, 0u32, 0u32);
        if self.states[current].enter {
            enters += 1;
        }
        let choices: Vec<&str> = resolved
            .messages
            .iter()
            .copied()
            .chain(std::iter::once("Timeout"))
            .collect();
        for &step in steps {
            // Two steps in three send something the current state decides (so the run gets
            // around the machine); the rest send anything, undecided messages included.
            let decided: Vec<&str> = resolved.cells[current]
                .keys()
                .chain(&resolved.forwards[current])
                .copied()
                .collect();
            let message = if step % 3 == 0 || decided.is_empty() {
                choices[step % choices.len()]
            } else {
                decided[(step / 3) % decided.len()]
            };
            let value = if message == "Put" {
                "Put(5u32)"
            } else {
                message
            };
            // The innermost state decides first; when it has no cell, the superstate's own.
            let inner_cell = resolved.forwards[current]
                .contains(message)
                .then(|| inner_cells[current][inner].get(message))
                .flatten();
            let cell = inner_cell.or_else(|| resolved.cells[current].get(message));
            let accepted = !matches!(cell, None | Some(Action::Defer));
            if message == "Timeout" {
                let fires = cell.is_some();
                let _ = writeln!(out, "    assert_eq!(driver.elapse(&mut context), {fires});");
            } else if accepted && replies.contains(message) {
                let _ = writeln!(
                    out,
                    "    assert_eq!(driver.send(&mut context, {value}).unwrap(), 9);"
                );
            } else if accepted {
                let _ = writeln!(out, "    driver.send(&mut context, {value}).unwrap();");
            } else {
                let reason = match cell {
                    None => "Reason::NotAccepted",
                    _ => "Reason::Deferred",
                };
                let _ = writeln!(
                    out,
                    "    let rejected = driver.send(&mut context, {value}).unwrap_err();\n    \
                     assert_eq!(rejected.reason, {reason});\n    assert_eq!(rejected.message, {value});"
                );
            }
            match (inner_cell, cell) {
                // A move between substates: the superstate is not left (the substates have no
                // hooks).
                (Some(Action::Move(to)), _) => {
                    handlers += 1;
                    inner = to[0];
                }
                (_, Some(Action::Move(targets))) => {
                    handlers += 1;
                    let to = *targets.last().unwrap_or(&current);
                    if self.states[current].exit {
                        exits += 1;
                    }
                    if self.states[to].enter {
                        enters += 1;
                    }
                    current = to;
                    inner = 0; // the handler enters `Sub::One`
                }
                (_, Some(Action::Stay)) => handlers += 1,
                _ => {}
            }
            self.write_state_assertion(resolved, current, inner, out);
        }
        let _ = writeln!(
            out,
            "    assert_eq!(context.handlers, {handlers});\n    assert_eq!(context.enters, {enters});\n    assert_eq!(context.exits, {exits});\n}}"
        );
    }
}

/// Snake case as the book defines it for single-word names: `Idle` → `idle`.
fn snake(name: &str) -> String {
    name.to_lowercase()
}

// ---- one mistake ----

/// One mistake, put into a valid spec by [`Spec::with_mistake`].
#[derive(Clone, Copy, Debug)]
pub enum Mistake {
    UnknownTarget,
    DuplicateCell,
    BadDuration,
    NotAPath,
    ThinArrow,
    TargetOnDiscard,
    NoInitial,
    SecondInitial,
    InitialOnEnum,
    NamedFields,
    Discriminant,
    UnknownKey,
    CellOnTerminal,
    Final,
    UndecidedCell,
    MarkerTwice,
    HookWithArguments,
    TimeoutOnData,
    // Superstates (`hierarchy.md`).
    SubstatesWithoutData,
    SubstatesTwice,
    SubstatesEmpty,
    SubstatesListsTimeout,
    SubstatesListsTwice,
    SubstatesHistory,
    TerminalSuperstate,
    TimeoutMessageInNested,
}

pub fn mistake_kind() -> impl Strategy<Value = Mistake> {
    prop::sample::select(
        &[
            Mistake::UnknownTarget,
            Mistake::DuplicateCell,
            Mistake::BadDuration,
            Mistake::NotAPath,
            Mistake::ThinArrow,
            Mistake::TargetOnDiscard,
            Mistake::NoInitial,
            Mistake::SecondInitial,
            Mistake::InitialOnEnum,
            Mistake::NamedFields,
            Mistake::Discriminant,
            Mistake::UnknownKey,
            Mistake::CellOnTerminal,
            Mistake::Final,
            Mistake::UndecidedCell,
            Mistake::MarkerTwice,
            Mistake::HookWithArguments,
            Mistake::TimeoutOnData,
            Mistake::SubstatesWithoutData,
            Mistake::SubstatesTwice,
            Mistake::SubstatesEmpty,
            Mistake::SubstatesListsTimeout,
            Mistake::SubstatesListsTwice,
            Mistake::SubstatesHistory,
            Mistake::TerminalSuperstate,
            Mistake::TimeoutMessageInNested,
        ][..],
    )
}

impl Spec {
    /// The spec with `mistake` put in at `at` (an index into whatever the mistake needs), or
    /// `None` when the spec has no place for it (no timeout for a bad duration, …).
    pub fn with_mistake(&self, mistake: Mistake, at: prop::sample::Index) -> Option<Spec> {
        let mut spec = self.clone();
        let chosen = at.index(spec.states.len());
        let placed = match mistake {
            Mistake::UndecidedCell if !spec.options.contains(&Opt::Exhaustive) => None,
            Mistake::UnknownTarget
            | Mistake::DuplicateCell
            | Mistake::NotAPath
            | Mistake::ThinArrow
            | Mistake::TargetOnDiscard
            | Mistake::UndecidedCell => spec.cell_mistake(mistake, at),
            Mistake::BadDuration => {
                let timeout = spec
                    .states
                    .iter_mut()
                    .find_map(|s| s.timeouts.first_mut())?;
                timeout.duration = 6 + at.index(DURATIONS.len() - 6);
                Some(())
            }
            Mistake::NoInitial => {
                for state in &mut spec.states {
                    state.initial = 0;
                }
                Some(())
            }
            Mistake::InitialOnEnum => {
                spec.misplaced_on_enum = Some(Misplaced::Initial);
                Some(())
            }
            Mistake::UnknownKey => {
                spec.options.push(Opt::UnknownKey);
                Some(())
            }
            Mistake::TimeoutOnData if spec.mentions(Msg::UserTimeout) => None,
            // The user's own `Timeout` message, in a machine whose superstates need lockstep's.
            Mistake::TimeoutMessageInNested => {
                if !spec.states.iter().any(|s| s.substates.is_some())
                    || spec.states.iter().any(|s| !s.timeouts.is_empty())
                    || spec.states[chosen].terminal
                {
                    return None;
                }
                spec.states[chosen].cells.push(CellAttr {
                    kind: Kind::On,
                    form: AttrForm::Normal,
                    items: vec![Item {
                        message: Msg::UserTimeout,
                        arrow: Arrow::None,
                        targets: Vec::new(),
                    }],
                });
                Some(())
            }
            _ => state_mistake(&mut spec.states[chosen], mistake, chosen),
        };
        placed.map(|()| spec)
    }

    /// Whether some cell names `message`.
    fn mentions(&self, message: Msg) -> bool {
        self.states
            .iter()
            .flat_map(|s| &s.cells)
            .flat_map(|c| &c.items)
            .any(|item| item.message == message)
    }

    /// A mistake in one item of one cell attribute, picked with `at`.
    fn cell_mistake(&mut self, mistake: Mistake, at: prop::sample::Index) -> Option<()> {
        let kind = match mistake {
            Mistake::UnknownTarget | Mistake::ThinArrow => Some(Kind::On),
            Mistake::TargetOnDiscard => Some(Kind::Discard),
            Mistake::UndecidedCell => Some(Kind::Defer),
            _ => None,
        };
        // Every (state, attribute, item) of the kind the mistake needs.
        let places: Vec<(usize, usize, usize)> = self
            .states
            .iter()
            .enumerate()
            .flat_map(|(state, s)| {
                s.cells.iter().enumerate().flat_map(move |(attr, cell)| {
                    (0..cell.items.len()).map(move |item| (state, attr, item))
                })
            })
            .filter(|&(state, attr, _)| {
                kind.is_none_or(|kind| self.states[state].cells[attr].kind == kind)
            })
            .collect();
        if places.is_empty() {
            return None;
        }
        let (state, attr, index) = places[at.index(places.len())];
        let mentions = |name| {
            self.states
                .iter()
                .flat_map(|s| &s.cells)
                .flat_map(|c| &c.items)
                .filter(|item| message_name(item.message) == name)
                .count()
        };
        let message = self.states[state].cells[attr].items[index].message;
        // ...and not forwarded by the state, whose substates would then decide it.
        let undecided_needs_another_mention = mentions(message_name(message)) >= 2
            && listed(&self.states[state]).all(|m| message_name(m) != message_name(message));
        let cells = &mut self.states[state].cells;
        let item = &mut cells[attr].items[index];
        match mistake {
            // `Failed` is past the last state of a spec of 6 or fewer: unknown.
            Mistake::UnknownTarget if item.arrow == Arrow::Fat => {
                item.targets[0] = Target::State(7);
            }
            Mistake::ThinArrow if item.arrow == Arrow::Fat => item.arrow = Arrow::Thin,
            Mistake::NotAPath => {
                let Msg::Plain(m) = item.message else {
                    return None;
                };
                item.message = Msg::Ref(m);
            }
            Mistake::TargetOnDiscard => {
                item.arrow = Arrow::Fat;
                item.targets = vec![Target::State(state)];
            }
            Mistake::DuplicateCell => {
                // The item again, in an attribute of its own: one cell declared twice.
                let item = item.clone();
                let again = CellAttr {
                    kind: cells[attr].kind,
                    form: cells[attr].form,
                    items: vec![item],
                };
                cells.push(again);
            }
            // Still a message of the machine afterwards: mentioned by some other cell.
            Mistake::UndecidedCell if undecided_needs_another_mention => {
                cells[attr].items.remove(index);
                if cells[attr].items.is_empty() {
                    cells.remove(attr);
                }
            }
            _ => return None,
        }
        Some(())
    }
}

/// A mistake on one state's own attributes or shape.
fn state_mistake(state: &mut State, mistake: Mistake, index: usize) -> Option<()> {
    match mistake {
        // The derive reads no list it reported, so an `exhaustive` machine gets no new message
        // to decide from this one.
        Mistake::SubstatesWithoutData if state.shape == Shape::Unit && !state.terminal => {
            state.substates = Some(SubList {
                form: AttrForm::Normal,
                items: vec![SubItem::Message(Msg::Fresh(index % FRESH.len()))],
                twice: false,
            });
        }
        Mistake::SubstatesTwice => state.substates.as_mut()?.twice = true,
        Mistake::SubstatesEmpty => {
            state.substates.as_mut()?.form = if index.is_multiple_of(2) {
                AttrForm::EmptyParens
            } else {
                AttrForm::NoParens
            };
        }
        // `Timeout` as the user imports it, or `lockstep::Timeout`.
        Mistake::SubstatesListsTimeout => {
            let message = if index.is_multiple_of(2) {
                Msg::UserTimeout
            } else {
                Msg::LockstepTimeout
            };
            state
                .substates
                .as_mut()?
                .items
                .push(SubItem::Message(message));
        }
        Mistake::SubstatesListsTwice => {
            let list = state.substates.as_mut()?;
            let first = *list.items.first()?;
            list.items.push(first);
        }
        Mistake::SubstatesHistory => state.substates.as_mut()?.items.push(SubItem::History),
        // Its cells too are wrong then, but the derive says so in the same error.
        Mistake::TerminalSuperstate if state.substates.is_some() && state.timeouts.is_empty() => {
            state.terminal = true;
            state.enter = false;
            state.exit = false;
        }
        Mistake::SecondInitial if state.initial == 0 => state.initial = 1,
        Mistake::NamedFields if state.shape == Shape::Data => state.shape = Shape::Named,
        Mistake::Discriminant => state.discriminant = true,
        Mistake::CellOnTerminal if !state.cells.is_empty() && state.timeouts.is_empty() => {
            state.terminal = true;
            state.enter = false;
            state.exit = false;
        }
        // `#[final]` is read as `#[terminal]`: only on a state that could be terminal.
        Mistake::Final
            if !state.terminal
                && state.cells.is_empty()
                && state.timeouts.is_empty()
                && state.substates.is_none() =>
        {
            state.final_keyword = true;
        }
        Mistake::MarkerTwice if state.terminal || state.enter || state.exit => state.doubled = true,
        // Written on both hooks, so only on a state with one.
        Mistake::HookWithArguments if state.enter != state.exit => state.hook_args = true,
        // `#[timeout(1s)]` on the data field: reported, then read as the state's.
        Mistake::TimeoutOnData
            if state.shape == Shape::Data && !state.terminal && state.timeouts.is_empty() =>
        {
            state.misplaced = Some(Misplaced::Timeout);
        }
        _ => return None,
    }
    Some(())
}
