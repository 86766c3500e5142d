use lockstep::{Machine, Message, Timeout};

#[derive(Message)]
struct Coin;

#[derive(Machine)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    #[timeout(30 => Unlocked)]
    Locked,
    #[timeout(5sec => Locked)]
    Unlocked,
}

// The timeout handlers still belong to the trait: no second error here.
impl TurnstileHandlers for () {
    fn locked_on_timeout(&mut self, _: Timeout) {}
    fn unlocked_on_timeout(&mut self, _: Timeout) {}
}

fn main() {}
