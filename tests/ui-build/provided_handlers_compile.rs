// The counterpart of `provided_handler_for_reply.rs`: provided handlers of messages without a reply
// build and run, and a machine without any message builds too.
use lockstep::{Driver, Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Message)]
struct Push;

#[derive(Machine)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    Locked,
    #[on(Push => Locked)]
    Unlocked,
}

impl TurnstileHandlers for () {}

#[derive(Machine)]
enum Off {
    #[initial]
    #[terminal]
    Off,
}

impl OffHandlers for () {}

fn main() {
    let mut turnstile = Driver::new(Turnstile::Locked);
    turnstile.send(&mut (), Coin).unwrap();
    turnstile.send(&mut (), Push).unwrap();
    assert_eq!(turnstile.state_name(), "Locked");
    let off = Driver::new(Off::Off);
    assert_eq!(off.state_name(), "Off");
}
