use lockstep::{Machine, Message};

mod euro {
    #[derive(lockstep::Message)]
    pub struct Coin;
}

mod dollar {
    #[derive(lockstep::Message)]
    pub struct Coin;
}

#[derive(Message)]
struct Push;

#[derive(Machine)]
enum Turnstile {
    #[initial]
    #[on(euro::Coin => Unlocked)]
    #[on(dollar::Coin => Unlocked)]
    Locked,
    #[on(Push => Locked)]
    Unlocked,
}

fn main() {}
