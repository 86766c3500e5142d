use lockstep::{Machine, Message};

#[derive(Message)]
pub struct Connect;
#[derive(Message)]
pub struct Hello;
#[derive(Message)]
pub struct Bye;

#[derive(Message)]
pub struct Ping;

#[derive(Machine)]
pub enum Phase {
    #[initial]
    #[on(Hello => Streaming)]
    Handshaking,
    #[on(Bye => Handshaking)]
    Streaming,
}

impl PhaseHandlers for () {}

#[derive(Machine)]
pub enum Session {
    #[initial]
    #[on(Connect => Active)]
    Idle,
    #[substates(Hello, Bye, Ping)]
    Active(Phase),
}

impl SessionHandlers for () {
    fn idle_on_connect(&mut self, _: Connect) -> Phase {
        Phase::Handshaking
    }
}

fn main() {}
