use lockstep::Message;

#[derive(Message)]
union Coin {
    cents: u32,
    euros: f32,
}

fn main() {}
