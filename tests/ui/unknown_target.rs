use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Message)]
struct Push;

struct Paid;

#[derive(Machine)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlokced)]
    Locked,
    #[on(Push => Locked)]
    Unlocked(Paid),
}

// Written for the state the user meant: no follow-on error.
impl TurnstileHandlers for () {
    fn locked_on_coin(&mut self, _: Coin) -> Paid {
        Paid
    }
    fn unlocked_on_push(&mut self, _: Paid, _: Push) {}
}

fn main() {}
