use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Machine)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    #[on(Coin => Unlocked)]
    Locked,
    Unlocked,
}

impl TurnstileHandlers for () {
    fn locked_on_coin(&mut self, _: Coin) {}
}

fn main() {}
