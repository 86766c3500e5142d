// Four independent mistakes, four errors, in one build, and nothing else: no follow-on error from
// the misspelled target (read as `Unlocked`), the malformed `Jammed`, the user's impl block, or the
// code that uses the machine.
use lockstep::{Driver, Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Message)]
struct Push;

#[derive(Machine)]
#[machine(exhaustiv)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlokced)]
    #[discard(Push)]
    Locked,
    #[on(Push => Locked)]
    #[on(Push => Locked)]
    #[on(Coin => Jammed)]
    Unlocked,
    Jammed(u8, u8),
}

impl TurnstileHandlers for () {
    fn locked_on_coin(&mut self, _: Coin) {}
    fn unlocked_on_push(&mut self, _: Push) {}
}

fn main() {
    let mut turnstile = Driver::new(Turnstile::Locked);
    let _ = turnstile.send(&mut (), Coin);
}
