use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Message)]
struct Push;

struct Paid;

#[derive(Machine)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    Locked,
    #[on(Push => Locked)]
    Unlocked(Payd),
}

impl TurnstileHandlers for () {
    fn locked_on_coin(&mut self, _: Coin) -> Paid {
        Paid
    }
    fn unlocked_on_push(&mut self, _: Paid, _: Push) {}
}

fn main() {}
