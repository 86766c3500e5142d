use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Message)]
struct Push;

#[derive(Machine)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    Locked,
    #[discard(Push)]
    #[on(Push => Locked)]
    Unlocked,
}

impl TurnstileHandlers for () {
    fn locked_on_coin(&mut self, _: Coin) {}
    fn unlocked_on_push(&mut self, _: Push) {}
}

fn main() {}
