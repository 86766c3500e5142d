use lockstep::{Driver, Machine, Message};
#[derive(Message)] pub struct Coin;
#[derive(Message)] pub struct Push;
#[derive(Default)] pub struct Log(Vec<String>);
pub struct Paid(u32);
#[derive(Machine)]
#[machine(context = Log, typestate)]
pub enum Gate {
    #[initial] #[enter] #[exit]
    #[on(Coin => Open | Locked)]
    Locked,
    #[enter] #[exit]
    #[on(Push => Locked)]
    #[on(Coin)]
    #[timeout(1.5s => Locked)]
    Open(Paid),
}
impl GateHandlers for Log {
    fn locked_on_coin(&mut self, _: Coin) -> GateLockedOnCoin { self.0.push("coin".into()); GateLockedOnCoin::Open(Paid(1)) }
    fn open_on_push(&mut self, _: Paid, _: Push) { self.0.push("push".into()) }
    fn open_on_coin(&mut self, p: &mut Paid, _: Coin) { p.0 += 1 }
    fn open_on_timeout(&mut self, _: Paid, _: lockstep::Timeout) { self.0.push("timeout".into()) }
    fn enter_locked(&mut self) { self.0.push("enter locked".into()) }
    fn exit_locked(&mut self) { self.0.push("exit locked".into()) }
    fn enter_open(&mut self, p: &mut Paid) { self.0.push(format!("enter open {}", p.0)) }
    fn exit_open(&mut self, p: &mut Paid) { self.0.push(format!("exit open {}", p.0)) }
}
#[test]
fn hooks() {
    let mut log = Log::default();
    let mut d = Driver::new(Gate::Locked);
    d.start(&mut log);
    d.send(&mut log, Coin).unwrap();
    d.send(&mut log, Coin).unwrap();
    assert_eq!(d.machine().unwrap().timeout(), Some(std::time::Duration::from_millis(1500)));
    assert!(d.elapse(&mut log));
    assert!(!d.elapse(&mut log));
    assert_eq!(log.0, ["enter locked", "exit locked", "coin", "enter open 1", "exit open 2", "timeout", "enter locked"]);
}
