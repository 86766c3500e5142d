use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Message)]
struct Push;

#[derive(Default)]
struct Till;

// One error, on the typo; the key after it is still read (`exhaustive` holds, so no other error).
#[derive(Machine)]
#[machine(contxt = Till, exhaustive)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    #[discard(Push)]
    Locked,
    #[on(Push => Locked)]
    #[discard(Coin)]
    Unlocked,
}

impl TurnstileHandlers for () {}

fn main() {}
