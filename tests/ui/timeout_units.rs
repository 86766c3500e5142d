use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Machine)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    #[timeout(30 => Unlocked)]
    Locked,
    #[timeout(5sec => Locked)]
    Unlocked,
}

impl TurnstileHandlers for () {}

fn main() {}
