use lockstep::{Machine, Message};

#[derive(Message)]
struct Insert;
#[derive(Message)]
#[message(reply = u32)]
struct Eject;

#[derive(Machine)]
#[machine(typestate)]
enum Vending {
    #[initial]
    #[on(Insert => HasCoin)]
    Ready,
    #[on(Eject => Ready)]
    HasCoin,
}

impl VendingHandlers for () {
    fn has_coin_on_eject(&mut self, _: Eject) -> u32 {
        25
    }
}

async fn run(vending: lockstep::actor::Actor<Vending>) {
    let session = vending.session::<VendingReady>().await.unwrap();
    // `Ready` has no coin to eject: this does not compile.
    let _ = session.ask(Eject).await;
}

fn main() {
    let _ = run;
}
