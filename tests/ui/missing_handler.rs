use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin {
    cents: u32,
}

#[derive(Message)]
struct Push;

struct Paid {
    cents: u32,
}

#[derive(Machine)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    Locked,
    #[on(Push => Locked)]
    Unlocked(Paid),
}

impl TurnstileHandlers for () {
    fn unlocked_on_push(&mut self, paid: Paid, _: Push) {
        let _ = paid.cents;
    }
}

fn main() {}
