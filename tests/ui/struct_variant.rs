use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin {
    cents: u32,
}

#[derive(Machine)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    Locked,
    Unlocked {
        cents: u32,
    },
}

impl TurnstileHandlers for () {
    fn locked_on_coin(&mut self, coin: Coin) {
        let _ = coin.cents;
    }
}

fn main() {}
