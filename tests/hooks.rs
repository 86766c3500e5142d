//! Enter and exit hooks and state timeouts, through every path that runs a cell: the dynamic
//! dispatch (the driver), the typestate `send`, and `Driver::elapse` for timeouts.
#![allow(missing_docs)]

use std::time::Duration;

use lockstep::{Driver, Machine, Message, Timeout};

#[derive(Message)]
pub struct Coin;
#[derive(Message)]
pub struct Push;
#[derive(Message)]
pub struct Kick;

#[derive(Default)]
pub struct Log(Vec<String>);

pub struct Paid(u32);

#[derive(Machine)]
#[machine(context = Log, typestate)]
pub enum Gate {
    #[initial]
    #[enter]
    #[exit]
    #[on(Coin => Open | Locked)]
    Locked,
    #[enter]
    #[exit]
    #[on(Push => Locked)]
    #[on(Coin)]
    #[on(Kick => Open)]
    #[timeout(1.5s => Locked)]
    Open(Paid),
}

impl GateHandlers for Log {
    fn locked_on_coin(&mut self, _: Coin) -> GateLockedOnCoin {
        self.0.push("coin".into());
        GateLockedOnCoin::Open(Paid(1))
    }
    fn open_on_push(&mut self, _: Paid, _: Push) {
        self.0.push("push".into());
    }
    fn open_on_coin(&mut self, paid: &mut Paid, _: Coin) {
        paid.0 += 1;
    }
    fn open_on_kick(&mut self, paid: Paid, _: Kick) -> Paid {
        self.0.push("kick".into());
        Paid(paid.0 * 10)
    }
    fn open_on_timeout(&mut self, _: Paid, _: Timeout) {
        self.0.push("timeout".into());
    }
    fn enter_locked(&mut self) {
        self.0.push("enter locked".into());
    }
    fn exit_locked(&mut self) {
        self.0.push("exit locked".into());
    }
    fn enter_open(&mut self, paid: &mut Paid) {
        self.0.push(format!("enter open {}", paid.0));
    }
    fn exit_open(&mut self, paid: &mut Paid) {
        self.0.push(format!("exit open {}", paid.0));
    }
}

#[test]
fn hooks_run_around_every_move_and_never_on_a_stay() {
    let mut log = Log::default();
    let mut gate = Driver::new(Gate::Locked);
    gate.start(&mut log);
    gate.send(&mut log, Coin).unwrap(); // Locked -> Open (multi-target cell)
    gate.send(&mut log, Coin).unwrap(); // stays: no hooks
    gate.send(&mut log, Kick).unwrap(); // Open -> Open: a self-transition exits and re-enters
    gate.send(&mut log, Push).unwrap();
    assert_eq!(
        log.0,
        [
            "enter locked",
            "exit locked",
            "coin",
            "enter open 1",
            "exit open 2",
            "kick",
            "enter open 20",
            "exit open 20",
            "push",
            "enter locked",
        ]
    );
}

#[test]
fn the_timeout_is_a_cell_the_driver_fires_on_request() {
    let mut log = Log::default();
    let mut gate = Driver::new(Gate::Locked);
    assert_eq!(gate.machine().and_then(Machine::timeout), None);
    assert!(!gate.elapse(&mut log), "Locked declares no timeout");
    gate.send(&mut log, Coin).unwrap();
    assert_eq!(
        gate.machine().and_then(Machine::timeout),
        Some(Duration::from_millis(1500))
    );
    assert!(gate.elapse(&mut log));
    assert_eq!(gate.state_name(), "Locked");
    assert_eq!(
        log.0[log.0.len() - 3..],
        ["exit open 1", "timeout", "enter locked"]
    );
    // The timeout is a declared cell like any other: it shows in the table and the diagram.
    assert!(
        Gate::MERMAID.contains("Open --> Locked: Push, after 1.5s"),
        "{}",
        Gate::MERMAID
    );
    assert!(lockstep::table::<Gate>().contains("Timeout"));
}

#[test]
fn typestate_sends_run_the_same_hooks() {
    let mut log = Log::default();
    let open = match GateLocked.send(&mut log, Coin) {
        GateLockedOnCoin::Open(paid) => GateOpen(paid),
        GateLockedOnCoin::Locked => panic!("the handler opens"),
    };
    let open = open.send(&mut log, Kick);
    let GateLocked = open.send(&mut log, Push);
    assert_eq!(
        log.0,
        [
            "exit locked",
            "coin",
            "enter open 1",
            "exit open 1",
            "kick",
            "enter open 10",
            "exit open 10",
            "push",
            "enter locked",
        ]
    );
}

#[test]
fn durations_are_read_exactly() {
    #[derive(Machine)]
    enum Clock {
        #[initial]
        #[on(Coin => B)]
        #[timeout(250ms => B)]
        A,
        #[timeout(2min)]
        #[on(Coin => C)]
        B,
        #[timeout(1h => A)]
        C,
    }
    impl ClockHandlers for () {
        fn b_on_timeout(&mut self, _: Timeout) {}
    }
    assert_eq!(Clock::A.timeout(), Some(Duration::from_millis(250)));
    assert_eq!(Clock::B.timeout(), Some(Duration::from_mins(2)));
    assert_eq!(Clock::C.timeout(), Some(Duration::from_hours(1)));
}
