use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Message)]
struct Push;

#[derive(Machine)]
#[machine(exhaustive = true)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    #[discard(Push)]
    Locked,
    #[on(Push => Locked)]
    #[discard(Coin)]
    Unlocked,
}

impl TurnstileHandlers for () {}

fn main() {}
