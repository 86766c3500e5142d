use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Machine)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    Locked,
    #[enter(log)]
    Unlocked,
}

impl TurnstileHandlers for () {
    fn enter_unlocked(&mut self) {}
}

fn main() {}
