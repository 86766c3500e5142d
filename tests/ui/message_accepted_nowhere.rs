use lockstep::{Driver, Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Message)]
struct Push;

#[derive(Message)]
struct Kick;

#[derive(Machine)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    Locked,
    #[on(Push => Locked)]
    Unlocked,
}

impl TurnstileHandlers for () {}

fn main() {
    let mut turnstile = Driver::new(Turnstile::Locked);
    let _ = turnstile.send(&mut (), Kick);
}
