//! A realistic machine with data and replies: an order that is paid, shipped or cancelled, where a
//! refund replies with the amount returned.
//!
//! Run it: `cargo run --example order`. It walks two orders through their lives, shows what a
//! message sent at the wrong time gets back, and prints the generated table and diagram.

use lockstep::{Driver, Machine, Message};

/// The customer pays `cents`.
#[derive(Message, Debug, Clone, PartialEq)]
pub struct Pay {
    /// Amount paid.
    pub cents: u64,
}

/// The warehouse ships the parcel; replies with the tracking number.
#[derive(Message, Debug, Clone, PartialEq)]
#[message(reply = String)]
pub struct Ship {
    /// Carrier name.
    pub carrier: String,
}

/// The customer cancels; a paid order is refunded.
#[derive(Message, Debug, Clone, PartialEq)]
pub struct Cancel;

/// Returns the money of a cancelled paid order; replies with the cents refunded.
#[derive(Message, Debug, Clone, PartialEq)]
#[message(reply = u64)]
pub struct Refund;

/// The carrier confirms delivery.
#[derive(Message, Debug, Clone, PartialEq)]
pub struct Delivered;

/// What a paid order holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Payment {
    /// Amount paid.
    pub cents: u64,
}

/// What a shipped order holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Shipment {
    /// Amount paid.
    pub cents: u64,
    /// The carrier's tracking number.
    pub tracking: String,
}

/// The shop's books: shared by every order state.
#[derive(Debug, Default)]
pub struct Shop {
    /// Money taken and not refunded.
    pub revenue: u64,
    /// Tracking numbers issued so far.
    pub parcels: u32,
}

/// An order, from checkout to delivery.
#[derive(Machine, Debug, Clone, PartialEq)]
#[machine(context = Shop)]
pub enum Order {
    /// Waiting for payment. Shipping now would give goods away, so `Ship` is rejected.
    #[initial]
    #[on(Pay => Paid)]
    #[on(Cancel => Cancelled)]
    Pending,
    /// Paid, not yet shipped. A second `Pay` (a retried request) is discarded: the customer pays once.
    #[on(Ship => Shipped)]
    #[on(Cancel => Refunding)]
    #[discard(Pay)]
    Paid(Payment),
    /// On its way. It can no longer be cancelled.
    #[on(Delivered => Done)]
    #[discard(Pay)]
    Shipped(Shipment),
    /// Cancelled after payment: the money goes back on `Refund`.
    #[on(Refund => Cancelled)]
    Refunding(Payment),
    /// Cancelled; nothing more happens.
    #[terminal]
    Cancelled,
    /// Delivered.
    #[terminal]
    Done,
}

impl OrderHandlers for Shop {
    fn pending_on_pay(&mut self, pay: Pay) -> Payment {
        self.revenue += pay.cents;
        Payment { cents: pay.cents }
    }

    fn paid_on_ship(&mut self, payment: Payment, ship: Ship) -> (Shipment, String) {
        self.parcels += 1;
        let tracking = format!("{}-{:05}", ship.carrier, self.parcels);
        let shipment = Shipment {
            cents: payment.cents,
            tracking: tracking.clone(),
        };
        (shipment, tracking)
    }

    fn paid_on_cancel(&mut self, payment: Payment, _: Cancel) -> Payment {
        payment
    }

    fn refunding_on_refund(&mut self, payment: Payment, _: Refund) -> u64 {
        self.revenue -= payment.cents;
        payment.cents
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut shop = Shop::default();

    let mut first = Driver::new(Order::Pending);
    // Shipping before payment is refused, and the message comes back to the caller.
    let early = first
        .send(
            &mut shop,
            Ship {
                carrier: "DHL".into(),
            },
        )
        .unwrap_err();
    println!("{early}");
    assert_eq!(early.message.carrier, "DHL");

    first.send(&mut shop, Pay { cents: 4_200 })?;
    first.send(&mut shop, Pay { cents: 4_200 })?; // a retry: discarded, charged once
    let tracking = first.send(
        &mut shop,
        Ship {
            carrier: "DHL".into(),
        },
    )?;
    println!("shipped with tracking number {tracking}");
    first.send(&mut shop, Delivered)?;

    let mut second = Driver::new(Order::Pending);
    second.send(&mut shop, Pay { cents: 1_000 })?;
    second.send(&mut shop, Cancel)?;
    let refunded = second.send(&mut shop, Refund)?;
    println!("refunded {refunded} cents");

    println!(
        "orders: {} and {}; revenue {} cents, {} parcel(s)",
        first.state_name(),
        second.state_name(),
        shop.revenue,
        shop.parcels
    );
    assert_eq!(shop.revenue, 4_200);

    println!("\n{}", lockstep::table::<Order>());
    println!("{}", Order::MERMAID);
    Ok(())
}
