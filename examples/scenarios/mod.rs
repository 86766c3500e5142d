//! Six races, each as a naive machine that has it and a lockstep-shaped fix, with the explorer
//! that finds it. Shared by `examples/races.rs` and `tests/races.rs` (and mirrored in the book's
//! "Finding races" chapter).

#![allow(dead_code)]

/// 1. Lost update: read, compute, write back.
pub mod lost_update {
    use lockstep::check::Explorer;
    use lockstep::{Machine, Message};

    /// Reads the count.
    #[derive(Message, Clone, Debug)]
    #[message(reply = u32)]
    pub struct Get;

    /// Overwrites the count.
    #[derive(Message, Clone, Debug)]
    pub struct Set(pub u32);

    /// Adds one, in the machine.
    #[derive(Message, Clone, Debug)]
    #[message(reply = u32)]
    pub struct Increment;

    /// The count.
    #[derive(Clone, Debug, Default, Hash)]
    pub struct Store {
        /// The count.
        pub count: u32,
    }

    /// Naive: clients read and write back.
    #[derive(Machine, Clone, Debug, Hash)]
    #[machine(context = Store)]
    pub enum Counter {
        /// Serves reads and writes.
        #[initial]
        #[on(Get)]
        #[on(Set)]
        Ready,
    }

    impl CounterHandlers for Store {
        fn ready_on_get(&mut self, _: Get) -> u32 {
            self.count
        }
        fn ready_on_set(&mut self, set: Set) {
            self.count = set.0;
        }
    }

    /// The fixed counter's data.
    #[derive(Clone, Debug, Default, Hash)]
    pub struct Tally {
        /// The count.
        pub count: u32,
    }

    /// Fix: the read-modify-write is one message, run by one handler.
    #[derive(Machine, Clone, Debug, Hash)]
    #[machine(context = Tally)]
    pub enum AtomicCounter {
        /// Serves reads and increments.
        #[initial]
        #[on(Get)]
        #[on(Increment)]
        Ready,
    }

    impl AtomicCounterHandlers for Tally {
        fn ready_on_get(&mut self, _: Get) -> u32 {
            self.count
        }
        fn ready_on_increment(&mut self, _: Increment) -> u32 {
            self.count += 1;
            self.count
        }
    }

    /// Two clients each add one by reading and writing back.
    pub fn naive() -> Explorer<Counter> {
        Explorer::new(Counter::Ready, Store::default())
            .client("alice", |c| c.ask(Get).then(|n| c.tell(Set(n + 1))))
            .client("bob", |c| c.ask(Get).then(|n| c.tell(Set(n + 1))))
            .at_end("no lost update", |_, store| store.count == 2)
    }

    /// Two clients each send `Increment`.
    pub fn fixed() -> Explorer<AtomicCounter> {
        Explorer::new(AtomicCounter::Ready, Tally::default())
            .client("alice", |c| c.ask(Increment).followed_by(c.ask(Get)))
            .client("bob", |c| c.ask(Increment).followed_by(c.ask(Get)))
            .at_end("no lost update", |_, tally| tally.count == 2)
    }
}

/// 2. Check-then-act: two clients withdraw after reading the balance (a double spend).
pub mod double_spend {
    use lockstep::check::Explorer;
    use lockstep::{Machine, Message};

    /// Reads the balance.
    #[derive(Message, Clone, Debug)]
    #[message(reply = i64)]
    pub struct Balance;

    /// Takes money out, unconditionally.
    #[derive(Message, Clone, Debug)]
    pub struct Debit(pub i64);

    /// Takes money out if there is enough; replies whether it did.
    #[derive(Message, Clone, Debug)]
    #[message(reply = bool)]
    pub struct Withdraw(pub i64);

    /// The account's books.
    #[derive(Clone, Debug, Hash)]
    pub struct Books {
        /// The balance.
        pub balance: i64,
        /// Paid out so far.
        pub paid_out: i64,
    }

    impl Default for Books {
        fn default() -> Self {
            Self {
                balance: 100,
                paid_out: 0,
            }
        }
    }

    /// Naive: the client checks the balance, then debits.
    #[derive(Machine, Clone, Debug, Hash)]
    #[machine(context = Books)]
    pub enum Account {
        /// Serves balance reads and debits.
        #[initial]
        #[on(Balance)]
        #[on(Debit)]
        Open,
    }

    impl AccountHandlers for Books {
        fn open_on_balance(&mut self, _: Balance) -> i64 {
            self.balance
        }
        fn open_on_debit(&mut self, debit: Debit) {
            self.balance -= debit.0;
            self.paid_out += debit.0;
        }
    }

    /// Fix: the check and the debit are one message.
    #[derive(Machine, Clone, Debug, Hash)]
    #[machine(context = Books)]
    pub enum GuardedAccount {
        /// Serves balance reads and guarded withdrawals.
        #[initial]
        #[on(Balance)]
        #[on(Withdraw)]
        Open,
    }

    impl GuardedAccountHandlers for Books {
        fn open_on_balance(&mut self, _: Balance) -> i64 {
            self.balance
        }
        fn open_on_withdraw(&mut self, withdraw: Withdraw) -> bool {
            let enough = self.balance >= withdraw.0;
            if enough {
                self.balance -= withdraw.0;
                self.paid_out += withdraw.0;
            }
            enough
        }
    }

    /// Two clients each take 60 out of 100 if the balance they read allows it.
    pub fn naive() -> Explorer<Account> {
        let spend = |c: &'static lockstep::check::Client<Account>| {
            c.ask(Balance).then(|balance| {
                if balance >= 60 {
                    c.tell(Debit(60))
                } else {
                    c.nothing()
                }
            })
        };
        Explorer::new(Account::Open, Books::default())
            .client("alice", spend)
            .client("bob", spend)
            .always("never overdrawn", |_, books| books.balance >= 0)
    }

    /// Two clients each ask to withdraw 60.
    pub fn fixed() -> Explorer<GuardedAccount> {
        Explorer::new(GuardedAccount::Open, Books::default())
            .client("alice", |c| c.ask(Withdraw(60)))
            .client("bob", |c| c.ask(Withdraw(60)))
            .always("never overdrawn", |_, books| books.balance >= 0)
            .at_end("money is conserved", |_, books| {
                books.balance + books.paid_out == 100
            })
    }
}

/// 3. Duplicate delivery: a payment retried over an at-least-once network.
pub mod duplicate_delivery {
    use lockstep::check::{Explorer, Network};
    use lockstep::{Machine, Message};

    /// Pays for the order.
    #[derive(Message, Clone, Debug)]
    pub struct Pay {
        /// Amount.
        pub cents: u32,
    }

    /// Ships the order.
    #[derive(Message, Clone, Debug)]
    pub struct Ship;

    /// The ledger.
    #[derive(Clone, Debug, Default, Hash)]
    pub struct Ledger {
        /// Charged to the customer so far.
        pub charged: u32,
        /// Parcels sent.
        pub parcels: u32,
    }

    /// Naive: every `Pay` charges.
    #[derive(Machine, Clone, Debug, Hash)]
    #[machine(context = Ledger)]
    pub enum Billing {
        /// Charges every payment it gets.
        #[initial]
        #[on(Pay)]
        Open,
    }

    impl BillingHandlers for Ledger {
        fn open_on_pay(&mut self, pay: Pay) {
            self.charged += pay.cents;
        }
    }

    /// Fix: an order whose `Paid` state discards a second `Pay`: idempotent by its spec.
    #[derive(Machine, Clone, Debug, Hash)]
    #[machine(context = Ledger)]
    pub enum Order {
        /// Waiting for the money; a parcel cannot leave yet.
        #[initial]
        #[on(Pay => Paid)]
        #[defer(Ship)]
        Unpaid,
        /// Paid: a repeated payment is dropped.
        #[discard(Pay)]
        #[on(Ship => Shipped)]
        Paid,
        /// On its way.
        #[discard(Pay, Ship)]
        Shipped,
    }

    impl OrderHandlers for Ledger {
        fn unpaid_on_pay(&mut self, pay: Pay) {
            self.charged += pay.cents;
        }
        fn paid_on_ship(&mut self, _: Ship) {
            self.parcels += 1;
        }
    }

    /// The shop pays once; the network may deliver it twice.
    pub fn naive() -> Explorer<Billing> {
        Explorer::new(Billing::Open, Ledger::default())
            .client("shop", |c| c.tell(Pay { cents: 500 }))
            .network(Network::Duplicating)
            .at_end("charged once", |_, ledger| ledger.charged == 500)
    }

    /// The shop pays and the warehouse ships, in any order, each possibly twice.
    pub fn fixed() -> Explorer<Order> {
        Explorer::new(Order::Unpaid, Ledger::default())
            .client("shop", |c| c.tell(Pay { cents: 500 }))
            .client("warehouse", |c| c.tell(Ship))
            .network(Network::Duplicating)
            .at_end("charged once", |_, ledger| ledger.charged == 500)
            .at_end("shipped once", |order, ledger| {
                matches!(order, Order::Shipped) && ledger.parcels == 1
            })
    }
}

/// 4. Privilege window: a privileged message accepted after revocation.
pub mod privilege {
    use lockstep::check::Explorer;
    use lockstep::{Machine, Message};

    /// Asks for admin rights; the naive console replies whether they were granted.
    #[derive(Message, Clone, Debug)]
    #[message(reply = bool)]
    pub struct Elevate;

    /// Asks for admin rights (the fixed console: no reply, the state is the grant).
    #[derive(Message, Clone, Debug)]
    pub struct Enter;

    /// Takes admin rights away, for good.
    #[derive(Message, Clone, Debug)]
    pub struct Revoke;

    /// The privileged operation. The naive design carries the grant as a flag.
    #[derive(Message, Clone, Debug)]
    pub struct Wipe {
        /// Whether the sender was granted admin rights (naive: trusted).
        pub authorized: bool,
    }

    /// The audit log.
    #[derive(Clone, Debug, Default, Hash)]
    pub struct Audit {
        /// Admin rights were revoked.
        pub revoked: bool,
        /// Wipes run.
        pub wipes: u32,
        /// A wipe ran after the revocation.
        pub wiped_after_revoke: bool,
    }

    impl Audit {
        fn wipe(&mut self) {
            self.wipes += 1;
            self.wiped_after_revoke |= self.revoked;
        }
    }

    /// Naive: one state; the grant is a flag checked when it is given and carried by the message.
    #[derive(Machine, Clone, Debug, Hash)]
    #[machine(context = Audit)]
    pub enum Console {
        /// Serves everything.
        #[initial]
        #[on(Elevate)]
        #[on(Revoke)]
        #[on(Wipe)]
        Running,
    }

    impl ConsoleHandlers for Audit {
        fn running_on_elevate(&mut self, _: Elevate) -> bool {
            !self.revoked
        }
        fn running_on_revoke(&mut self, _: Revoke) {
            self.revoked = true;
        }
        fn running_on_wipe(&mut self, wipe: Wipe) {
            if wipe.authorized {
                self.wipe();
            }
        }
    }

    /// Fix: the grant is a state. `Wipe` has a cell only in `Elevated`, and `Revoke` leaves it.
    /// (Leaving `Elevated` after a while needs state timeouts, which lockstep does not have yet.)
    #[derive(Machine, Clone, Debug, Hash)]
    #[machine(context = Audit)]
    pub enum GuardedConsole {
        /// No admin rights.
        #[initial]
        #[on(Enter => Elevated)]
        #[on(Revoke => Locked)]
        Normal,
        /// Admin rights: the only state that takes `Wipe`.
        #[on(Wipe)]
        #[on(Revoke => Locked)]
        #[discard(Enter)]
        Elevated,
        /// Rights revoked for good.
        #[discard(Enter, Revoke)]
        Locked,
    }

    impl GuardedConsoleHandlers for Audit {
        fn normal_on_revoke(&mut self, _: Revoke) {
            self.revoked = true;
        }
        fn elevated_on_wipe(&mut self, _: Wipe) {
            self.wipe();
        }
        fn elevated_on_revoke(&mut self, _: Revoke) {
            self.revoked = true;
        }
    }

    /// The admin elevates, then wipes; security revokes the admin meanwhile.
    pub fn naive() -> Explorer<Console> {
        Explorer::new(Console::Running, Audit::default())
            .client("admin", |c| {
                c.ask(Elevate).then(|granted| {
                    if granted {
                        c.tell(Wipe { authorized: true })
                    } else {
                        c.nothing()
                    }
                })
            })
            .client("security", |c| c.tell(Revoke))
            .always("no wipe after revocation", |_, audit| {
                !audit.wiped_after_revoke
            })
    }

    /// The same story against the state-based console.
    pub fn fixed() -> Explorer<GuardedConsole> {
        Explorer::new(GuardedConsole::Normal, Audit::default())
            .client("admin", |c| c.tell(Enter).tell(Wipe { authorized: true }))
            .client("security", |c| c.tell(Revoke))
            .always("no wipe after revocation", |_, audit| {
                !audit.wiped_after_revoke
            })
    }
}

/// 5. Rate-limit bypass under a flood of requests.
pub mod rate_limit {
    use lockstep::check::Explorer;
    use lockstep::{Machine, Message};

    /// How many requests a window allows.
    pub const LIMIT: u32 = 2;

    /// Asks to be served; replies whether it was allowed.
    #[derive(Message, Clone, Debug)]
    #[message(reply = bool)]
    pub struct Request;

    /// Says a served request finished.
    #[derive(Message, Clone, Debug)]
    pub struct Done;

    /// The limiter's counters.
    #[derive(Clone, Debug, Default, Hash)]
    pub struct Counters {
        /// Requests allowed.
        pub granted: u32,
        /// Requests that finished.
        pub completed: u32,
    }

    /// Naive: counts requests when they finish, so a flood passes before any is counted.
    #[derive(Machine, Clone, Debug, Hash)]
    #[machine(context = Counters)]
    pub enum Limiter {
        /// Serves requests.
        #[initial]
        #[on(Request)]
        #[on(Done)]
        Serving,
    }

    impl LimiterHandlers for Counters {
        fn serving_on_request(&mut self, _: Request) -> bool {
            let allowed = self.completed < LIMIT;
            if allowed {
                self.granted += 1;
            }
            allowed
        }
        fn serving_on_done(&mut self, _: Done) {
            self.completed += 1;
        }
    }

    /// Fix: the tokens left are the state's data, taken when a request is allowed; with none
    /// left the limiter is `Exhausted`, whose only answer is no.
    #[derive(Machine, Clone, Debug, Hash)]
    #[machine(context = Counters)]
    pub enum TokenLimiter {
        /// Tokens left in this window.
        #[initial]
        #[on(Request => Open | Exhausted)]
        #[discard(Done)]
        Open(u32),
        /// No token left.
        #[on(Request)]
        #[discard(Done)]
        Exhausted,
    }

    impl TokenLimiterHandlers for Counters {
        fn open_on_request(&mut self, left: u32, _: Request) -> (TokenLimiterOpenOnRequest, bool) {
            self.granted += 1;
            if left > 1 {
                (TokenLimiterOpenOnRequest::Open(left - 1), true)
            } else {
                (TokenLimiterOpenOnRequest::Exhausted, true)
            }
        }
        fn exhausted_on_request(&mut self, _: Request) -> bool {
            false
        }
    }

    /// Three identical clients flood the limiter.
    pub fn naive() -> Explorer<Limiter> {
        Explorer::new(Limiter::Serving, Counters::default())
            .clients(3, "client", |c| {
                c.ask(Request)
                    .then(|allowed| if allowed { c.tell(Done) } else { c.nothing() })
            })
            .always("at most 2 (LIMIT) requests allowed", |_, counters| {
                counters.granted <= LIMIT
            })
    }

    /// Four identical clients flood the token limiter.
    pub fn fixed() -> Explorer<TokenLimiter> {
        Explorer::new(TokenLimiter::Open(LIMIT), Counters::default())
            .clients(4, "client", |c| {
                c.ask(Request)
                    .then(|allowed| if allowed { c.tell(Done) } else { c.nothing() })
            })
            .always("at most LIMIT requests allowed", |_, counters| {
                counters.granted <= LIMIT
            })
    }
}

/// 6. Exactly once: payments over a network that reorders (and may repeat) them.
///
/// Under `Network::Duplicating` the network repeats messages; under the others the shop retries
/// its first payment itself, as an at-least-once sender does when an acknowledgement is late. The
/// naive machine charges the retry again and applies a sender's payments in whatever order they
/// arrive; the same machine wrapped in `ExactlyOnce`, fed numbered envelopes, charges each once,
/// in the order its sender numbered them.
pub mod exactly_once {
    use lockstep::check::{Explorer, Network};
    use lockstep::{Envelope, ExactlyOnce, Gaps, Machine, Message, SenderId, Sequencer};

    /// Charges an amount; the reply is the receipt: how many payments the ledger holds.
    #[derive(Message, Clone, Debug, Hash)]
    #[message(reply = u32)]
    pub struct Pay {
        /// Amount.
        pub cents: u32,
    }

    /// Every payment charged, in the order charged.
    #[derive(Clone, Debug, Default, Hash)]
    pub struct Ledger {
        /// The amounts.
        pub charged: Vec<u32>,
    }

    /// Charges every payment it gets. `derive(Clone, Hash)` gives its input enum the impls
    /// `ExactlyOnce` keeps replies with.
    #[derive(Machine, Clone, Debug, Hash)]
    #[machine(context = Ledger, derive(Clone, Hash))]
    pub enum Billing {
        /// Open for payments.
        #[initial]
        #[on(Pay)]
        Open,
    }

    impl BillingHandlers for Ledger {
        fn open_on_pay(&mut self, pay: Pay) -> u32 {
            self.charged.push(pay.cents);
            u32::try_from(self.charged.len()).unwrap_or(u32::MAX)
        }
    }

    /// The shop.
    pub const SHOP: SenderId = SenderId(1);
    /// The subscription service.
    pub const SUBSCRIPTIONS: SenderId = SenderId(2);
    /// What each sender pays, in order; every amount is distinct, so the ledger shows which
    /// payment was charged.
    pub const PAYMENTS: [(SenderId, [u32; 2]); 2] = [(SHOP, [500, 300]), (SUBSCRIPTIONS, [7, 9])];

    fn sent(sender: SenderId) -> [u32; 2] {
        PAYMENTS
            .iter()
            .find(|(s, _)| *s == sender)
            .map_or([0; 2], |(_, amounts)| *amounts)
    }

    /// No amount charged twice.
    pub fn charged_at_most_once(ledger: &Ledger) -> bool {
        let mut seen = ledger.charged.clone();
        seen.sort_unstable();
        seen.windows(2).all(|pair| pair[0] != pair[1])
    }

    /// Each sender's amounts appear in the ledger in the order it sent them.
    pub fn in_sequence_order(ledger: &Ledger) -> bool {
        PAYMENTS.iter().all(|(_, amounts)| {
            let order: Vec<u32> = ledger
                .charged
                .iter()
                .copied()
                .filter(|cents| amounts.contains(cents))
                .collect();
            amounts.starts_with(&order)
        })
    }

    /// Every payment charged.
    pub fn all_charged(ledger: &Ledger) -> bool {
        PAYMENTS
            .iter()
            .all(|(_, amounts)| amounts.iter().all(|cents| ledger.charged.contains(cents)))
    }

    /// Whether the shop retries its first payment itself: unless the network repeats messages.
    fn retries(network: Network) -> bool {
        network != Network::Duplicating
    }

    /// Naive: each sender tells its payments, unnumbered. Every property that fails is reported,
    /// each with its shortest trace.
    pub fn naive(network: Network) -> Explorer<Billing> {
        Explorer::new(Billing::Open, Ledger::default())
            .client("shop", |c| {
                let [first, second] = sent(SHOP);
                let script = c.tell(Pay { cents: first }).tell(Pay { cents: second });
                if retries(network) {
                    script.tell(Pay { cents: first })
                } else {
                    script
                }
            })
            .client("subscriptions", |c| {
                let [first, second] = sent(SUBSCRIPTIONS);
                c.tell(Pay { cents: first }).tell(Pay { cents: second })
            })
            .network(network)
            .always("charged at most once", |_, ledger| {
                charged_at_most_once(ledger)
            })
            .always("in sequence order", |_, ledger| in_sequence_order(ledger))
            .at_end("all charged", |_, ledger| all_charged(ledger))
            .find_all()
    }

    /// Each sender numbers its payments with a `Sequencer`; the machine is wrapped in
    /// `ExactlyOnce`, with `gaps` deciding what a payment ahead of its turn does.
    pub fn enveloped(network: Network, gaps: Gaps) -> Explorer<ExactlyOnce<Billing>> {
        let pays = |sender: SenderId| -> [Envelope<Pay>; 2] {
            let mut numbers = Sequencer::new(sender);
            sent(sender).map(|cents| numbers.stamp(Pay { cents }))
        };
        let explorer = Explorer::new(
            ExactlyOnce::new(Billing::Open).window(4).gaps(gaps),
            Ledger::default(),
        )
        .client("shop", |c| {
            let [first, second] = pays(SHOP);
            let script = c.tell(first.clone()).tell(second);
            if retries(network) {
                // The retry is the same envelope, number and all.
                script.tell(first)
            } else {
                script
            }
        })
        .client("subscriptions", |c| {
            let [first, second] = pays(SUBSCRIPTIONS);
            c.tell(first).tell(second)
        })
        .network(network)
        .always("charged at most once", |_, ledger| {
            charged_at_most_once(ledger)
        })
        .always("in sequence order", |_, ledger| in_sequence_order(ledger));
        match gaps {
            // Every payment waits for its turn, so every one is charged.
            Gaps::Wait => explorer.at_end("all charged", |_, ledger| all_charged(ledger)),
            // A payment that overtook its predecessor is rejected; a told one is not retried
            // here, so only the two properties above hold.
            Gaps::Reject => explorer,
        }
    }
}
