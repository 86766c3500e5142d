use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin;

pub struct Paid(u32);

#[derive(Machine)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    Locked,
    #[enter]
    #[exit]
    Unlocked(Paid),
}

impl TurnstileHandlers for () {
    fn locked_on_coin(&mut self, _: Coin) -> Paid {
        Paid(1)
    }
    fn enter_unlocked(&mut self, paid: &mut Paid) {
        paid.0 += 1;
    }
}

fn main() {}
