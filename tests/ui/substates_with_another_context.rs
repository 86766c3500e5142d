use lockstep::{Machine, Message};

#[derive(Message)]
pub struct Connect;
#[derive(Message)]
pub struct Hello;
#[derive(Message)]
pub struct Bye;

#[derive(Machine)]
pub enum Phase {
    #[initial]
    #[on(Hello => Streaming)]
    Handshaking,
    #[on(Bye => Handshaking)]
    Streaming,
}

impl PhaseHandlers for () {}

pub struct Conn;

#[derive(Machine)]
#[machine(context = Conn)]
pub enum Session {
    #[initial]
    #[on(Connect => Active)]
    Idle,
    #[substates(Hello, Bye)]
    Active(Phase),
}

impl SessionHandlers for Conn {
    fn idle_on_connect(&mut self, _: Connect) -> Phase {
        Phase::Handshaking
    }
}

fn main() {}
