use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Machine)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    Locked,
    #[timeout(30s => Locked)]
    #[timeout(1min => Locked)]
    Unlocked,
}

impl TurnstileHandlers for () {}

fn main() {}
