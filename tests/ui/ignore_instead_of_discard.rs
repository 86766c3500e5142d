use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Message)]
struct Push;

#[derive(Machine)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    #[ignore(Push)]
    Locked,
    #[on(Push => Locked)]
    Unlocked,
}

fn main() {}
