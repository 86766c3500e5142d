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
    Unlocked(Paid),
}

impl TurnstileHandlers for () {
    fn locked_on_coin(&mut self, _: Coin) -> Paid {
        Paid
    }
    // The state's data is taken by value on a move, not by reference.
    fn unlocked_on_push(&mut self, _paid: &mut Paid, _: Push) {}
}

fn main() {}
