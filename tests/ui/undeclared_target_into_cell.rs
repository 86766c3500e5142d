use lockstep::{Machine, Message, Target};

#[derive(Message)]
struct Coin;

#[derive(Message)]
struct Push;

#[derive(Machine)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked | Locked)]
    Locked,
    #[on(Push => Locked | Broken)]
    #[on(Coin => Unlocked | Broken)]
    Unlocked,
    #[on(Push => Locked)]
    Broken,
}

impl TurnstileHandlers for () {
    fn locked_on_coin(&mut self, _: Coin) -> TurnstileLockedOnCoin {
        // `Broken` is not a target of `Locked` on `Coin`.
        TurnstileBroken.into_cell()
    }
    fn unlocked_on_push(&mut self, _: Push) -> TurnstileUnlockedOnPush {
        TurnstileLocked.into_cell()
    }
    fn unlocked_on_coin(&mut self, _: Coin) -> TurnstileUnlockedOnCoin {
        TurnstileBroken.into_cell()
    }
}

fn main() {}
