use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Message)]
struct Push;

#[derive(Machine)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    #[defer(Push => Unlocked)]
    Locked,
    #[on(Push => Locked)]
    Unlocked,
}

fn main() {}
