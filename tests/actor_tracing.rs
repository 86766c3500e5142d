//! Feature `tracing`: the actor opens a span per message, with the machine, the message, the
//! state before and after, and the outcome.
#![cfg(feature = "tracing")]
#![allow(missing_docs)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use lockstep::actor::Spawn;
use lockstep::{Machine, Message};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

#[derive(Message)]
pub struct Coin;
#[derive(Message)]
#[message(reply = u32)]
pub struct Refund;

#[derive(Machine)]
pub enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    Locked,
    #[on(Refund => Locked)]
    Unlocked,
}

impl TurnstileHandlers for () {
    fn unlocked_on_refund(&mut self, _: Refund) -> u32 {
        50
    }
}

/// Records every span's name and fields: just enough of a subscriber to read what the actor says.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<(String, SpanFields)>>>);

type SpanFields = BTreeMap<String, String>;

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl Subscriber for Spans {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut fields = BTreeMap::new();
        span.record(&mut Fields(&mut fields));
        let mut spans = self.0.lock().unwrap();
        spans.push((span.metadata().name().to_owned(), fields));
        Id::from_u64(spans.len() as u64)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut spans = self.0.lock().unwrap();
        let index = usize::try_from(span.into_u64()).unwrap() - 1;
        values.record(&mut Fields(&mut spans[index].1));
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn a_span_per_message_with_states_and_outcome() {
    let spans = Spans::default();
    tracing::subscriber::with_default(spans.clone(), || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (turnstile, join) = Turnstile::Locked.spawn(());
            assert!(turnstile.ask(Refund).await.is_err());
            turnstile.tell(Coin).await.unwrap();
            assert_eq!(turnstile.ask(Refund).await.unwrap(), 50);
            drop(turnstile);
            join.await.unwrap();
        });
    });
    let spans = spans.0.lock().unwrap();
    let seen: Vec<Vec<(&str, &str)>> = spans
        .iter()
        .filter(|(name, _)| name == "lockstep")
        .map(|(_, fields)| {
            fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect()
        })
        .collect();
    let span = |message, from, to, outcome| {
        vec![
            ("from", from),
            ("machine", "Turnstile"),
            ("message", message),
            ("outcome", outcome),
            ("to", to),
        ]
    };
    assert_eq!(
        seen,
        [
            span("Refund", "Locked", "Locked", "rejected"),
            span("Coin", "Locked", "Unlocked", "moved"),
            span("Refund", "Unlocked", "Locked", "moved"),
        ]
    );
}
