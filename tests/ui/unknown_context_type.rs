use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Message)]
struct Push;

struct Till;

#[derive(Machine)]
#[machine(context = Tlil)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    Locked,
    #[on(Push => Locked)]
    Unlocked,
}

impl TurnstileHandlers for Till {}

fn main() {}
