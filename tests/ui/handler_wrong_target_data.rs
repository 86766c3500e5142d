use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Message)]
struct Push;

struct Paid;
struct Receipt;

#[derive(Machine)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    Locked,
    #[on(Push => Locked)]
    Unlocked(Paid),
}

impl TurnstileHandlers for () {
    // `Unlocked` holds a `Paid`, not a `Receipt`.
    fn locked_on_coin(&mut self, _: Coin) -> Receipt {
        Receipt
    }
    fn unlocked_on_push(&mut self, _: Paid, _: Push) {}
}

fn main() {}
