use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Machine)]
enum Turnstile {
    #[initial(true)]
    #[on(Coin => Unlocked)]
    Locked,
    Unlocked,
}

fn main() {}
