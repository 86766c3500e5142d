use lockstep::{Machine, Message};

#[derive(Message)]
pub struct Connect;
#[derive(Message)]
#[message(reply = u32)]
pub struct Ping;

#[derive(Machine)]
pub enum Phase {
    #[initial]
    #[on(Ping)]
    Handshaking,
}

impl PhaseHandlers for () {
    fn handshaking_on_ping(&mut self, _: Ping) -> u32 {
        1
    }
}

#[derive(Machine)]
pub enum Session {
    #[initial]
    #[on(Connect => Active)]
    Idle,
    #[substates(Ping)]
    #[discard(Ping)]
    Active(Phase),
}

impl SessionHandlers for () {
    fn idle_on_connect(&mut self, _: Connect) -> Phase {
        Phase::Handshaking
    }
}

fn main() {}
