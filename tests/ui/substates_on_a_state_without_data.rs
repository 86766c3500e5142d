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

#[derive(Machine)]
pub enum Session {
    #[initial]
    #[on(Connect => Active)]
    Idle,
    #[substates(Hello, Bye)]
    Active,
}

impl SessionHandlers for () {}

fn main() {}
