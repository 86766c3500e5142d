use lockstep::Message;

#[derive(Message)]
#[message(reply = u32)]
#[message(reply = u64)]
struct Refund;

fn main() {}
