use lockstep::{Driver, Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Message)]
struct Push;

#[derive(Default)]
struct Till;

#[derive(Machine)]
#[machine(context = Till)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    Locked,
    #[on(Push => Locked)]
    Unlocked,
}

fn main() {
    let mut till = Till;
    let mut turnstile = Driver::new(Turnstile::Locked);
    let _ = turnstile.send(&mut till, Coin);
}
