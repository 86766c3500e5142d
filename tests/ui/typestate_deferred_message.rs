use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Message)]
struct Push;

#[derive(Machine)]
#[machine(typestate)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    #[defer(Push)]
    Locked,
    #[on(Push => Locked)]
    Unlocked,
}

impl TurnstileHandlers for () {}

fn main() {
    let locked = TurnstileLocked;
    let _ = locked.send(&mut (), Push);
}
