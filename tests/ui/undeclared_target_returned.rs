use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Message)]
struct Push;

#[derive(Machine)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked | Locked)]
    Locked,
    #[on(Push => Locked)]
    #[on(Coin => Broken)]
    Unlocked,
    Broken,
}

impl TurnstileHandlers for () {
    fn locked_on_coin(&mut self, _: Coin) -> TurnstileLockedOnCoin {
        // `Broken` is not a target of `Locked` on `Coin`.
        TurnstileLockedOnCoin::Broken
    }
}

fn main() {}
