use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Message)]
struct Push;

#[derive(Machine)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    #[discard(Push)]
    Locked,
    #[on(Push => Locked)]
    Unlocked,
}

impl TurnstileHandlers for () {
    // `Locked` discards `Push`: there is no handler to write.
    fn locked_on_push(&mut self, _: Push) {}
}

fn main() {}
