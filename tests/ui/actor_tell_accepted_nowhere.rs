use lockstep::actor::Spawn;
use lockstep::{Machine, Message};

#[derive(Message)]
struct Coin;
#[derive(Message)]
struct Kick;

#[derive(Machine)]
enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    Locked,
    #[on(Coin => Locked)]
    Unlocked,
}

impl TurnstileHandlers for () {}

async fn run() {
    let (turnstile, _join) = Turnstile::Locked.spawn(());
    let _ = turnstile.tell(Kick).await;
}

fn main() {
    drop(run());
}
