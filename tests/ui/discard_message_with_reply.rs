use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin;

#[derive(Message)]
#[message(reply = u32)]
struct Refund;

#[derive(Machine)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    #[discard(Refund)]
    Locked,
    #[on(Refund => Locked)]
    Unlocked,
}

impl TurnstileHandlers for () {
    fn unlocked_on_refund(&mut self, _: Refund) -> u32 {
        0
    }
}

fn main() {}
