use lockstep::{Machine, Message};

#[derive(Message)]
struct Go;

#[derive(Machine)]
enum Client {
    #[initial]
    #[on(Go => HTTPRequest | HttpRequest)]
    Idle,
    #[on(Go => Idle)]
    HTTPRequest,
    #[on(Go => Idle)]
    HttpRequest,
}

fn main() {}
