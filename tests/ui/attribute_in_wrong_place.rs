// Derive helper attributes are accepted anywhere in the item, so rustc says nothing about a state
// attribute on the enum or on a state's data: the derive does, on the attribute.
use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Message)]
struct Push;

struct Paid;

#[derive(Machine)]
#[on(Push => Locked)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    Locked,
    #[machine(exhaustive)]
    Unlocked(#[on(Push => Locked)] Paid),
}

impl TurnstileHandlers for () {
    fn locked_on_coin(&mut self, _: Coin) -> Paid {
        Paid
    }
}

fn main() {}
