use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Machine)]
enum Turnstile {
    #[initial]
    #[on(Coin => Done)]
    Locked,
    #[final]
    Done,
}

fn main() {}
