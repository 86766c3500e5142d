use lockstep::{Driver, Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Message)]
#[message(reply = u32)]
struct Refund;

#[derive(Machine)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    Locked,
    #[on(Refund => Locked)]
    Unlocked,
}

// `unlocked_on_refund` is not written, but `Refund` replies with a `u32`: there is no default reply.
impl TurnstileHandlers for () {}

fn main() {
    let mut turnstile = Driver::new(Turnstile::Locked);
    let _ = turnstile.send(&mut (), Coin);
    let _ = turnstile.send(&mut (), Refund);
}
