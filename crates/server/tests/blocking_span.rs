//! Blocking work runs inside the span of the request that asked for it (its own process:
//! the test installs a global subscriber, which the blocking pool's threads see).

use std::sync::{Arc, Mutex};

use tracing::Subscriber;
use tracing::span::{Attributes, Id};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// Remembers the name of the span current when an event is recorded.
#[derive(Clone, Default)]
struct SpanOfEvents(Arc<Mutex<Vec<String>>>);

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for SpanOfEvents {
    fn on_new_span(&self, _: &Attributes<'_>, _: &Id, _: Context<'_, S>) {}

    fn on_event(&self, _: &tracing::Event<'_>, ctx: Context<'_, S>) {
        let name = ctx.lookup_current().map_or_else(|| "none".to_owned(), |span| span.name().to_owned());
        self.0.lock().unwrap().push(name);
    }
}

#[actix_web::test]
async fn blocking_work_runs_inside_the_callers_span() {
    let seen = SpanOfEvents::default();
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(seen.clone())).unwrap();
    let span = tracing::info_span!("request");
    let thread = {
        let _entered = span.enter();
        verity::blocking::block(|| {
            tracing::info!("working");
            std::thread::current().id()
        })
    }
    .await
    .unwrap();
    assert_ne!(thread, std::thread::current().id(), "the work ran on the blocking pool");
    assert_eq!(*seen.0.lock().unwrap(), vec!["request".to_owned()]);
}
