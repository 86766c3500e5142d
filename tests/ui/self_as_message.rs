use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Machine)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    Locked,
    #[on(Self => Locked)]
    Unlocked,
}

impl TurnstileHandlers for () {}

fn main() {}
