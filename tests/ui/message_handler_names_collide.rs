use lockstep::{Machine, Message};

#[derive(Message)]
struct HTTPGet;

#[derive(Message)]
struct HttpGet;

#[derive(Machine)]
enum Client {
    #[initial]
    #[on(HTTPGet)]
    #[on(HttpGet)]
    Idle,
}

impl ClientHandlers for () {}

fn main() {}
