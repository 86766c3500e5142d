use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Message)]
struct Push;

#[derive(Machine)]
#[machine(context)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    Locked,
    #[on(Push => Locked)]
    Unlocked,
}

impl TurnstileHandlers for () {}

fn main() {}
