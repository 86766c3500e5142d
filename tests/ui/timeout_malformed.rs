use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Machine)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    Locked,
    #[timeout(5, Locked)]
    Unlocked,
}

impl TurnstileHandlers for () {}

fn main() {}
