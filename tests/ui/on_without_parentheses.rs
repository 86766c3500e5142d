use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Machine)]
enum Turnstile {
    #[initial]
    #[on = Coin]
    Locked,
    Unlocked,
}

fn main() {}
