use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin;

struct Till;
struct Bank;

#[derive(Machine)]
#[machine(context = Till, context = Bank)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    Locked,
    Unlocked,
}

fn main() {}
