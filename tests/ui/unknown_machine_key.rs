use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Default)]
struct Till;

#[derive(Machine)]
#[machine(contxt = Till)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    Locked,
    Unlocked,
}

fn main() {}
