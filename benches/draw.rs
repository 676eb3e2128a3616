//! Draw time of one frame of the store table with 1,000 and 10,000 stores (TestBackend,
//! 160x48 and 80x24). Only the visible rows are laid out; the header's counts go over
//! every row, so this grows a little with the fleet.

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use storectl::app::{self, Action, App, ConnectionState, FormDefaults, StoreRow};
use storectl::domain::status::Phase;
use storectl::domain::summary::{ObjectState, StoreSummary};

fn fleet(n: usize) -> App {
    let mut app = App::new(vec!["bench".into()], false, FormDefaults::default());
    let phases = [
        Phase::Ready,
        Phase::Provisioning,
        Phase::Failed,
        Phase::Deleting,
    ];
    let rows = (0..n)
        .map(|i| StoreRow {
            summary: StoreSummary {
                name: format!("store-{i:04}"),
                namespace: format!("store-store-{i:04}"),
                context: "bench".into(),
                status: phases[i % 4],
                reason: "waiting for MySQL to become ready (0/1)".into(),
                url: Some(format!("http://store-{i:04}.shops.example.com")),
                age_seconds: Some(i64::try_from(i).unwrap_or(0) * 60),
                pods_ready: 2,
                pods_total: 2,
                created: None,
                versions: None,
                cron: Default::default(),
            },
            objects: vec![ObjectState {
                kind: "Namespace",
                name: format!("store-store-{i:04}"),
                state: "Active".into(),
            }],
        })
        .map(Into::into)
        .collect();
    app::update(
        &mut app,
        Action::Connection {
            context: "bench".into(),
            state: ConnectionState::Live,
            hidden: vec![],
        },
    );
    app::update(&mut app, Action::Stores(rows));
    app
}

fn draw(c: &mut Criterion) {
    for n in [1000, 10_000] {
        draw_fleet(c, n);
    }
}

fn draw_fleet(c: &mut Criterion, n: usize) {
    let mut app = fleet(n);
    // Select a row in the middle so the window is not at the top.
    for _ in 0..n / 2 {
        app::update(&mut app, Action::Move(app::Motion::Down));
    }
    let middle = format!("store-{:04}", n / 2);
    for (w, h) in [(160u16, 48u16), (80, 24)] {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap_or_else(|e| panic!("{e}"));
        // What is timed is a real frame: the header counts the fleet and the window
        // around the selected row (the middle one) is drawn.
        let frame = terminal
            .draw(|f| storectl::ui::draw(f, &app))
            .unwrap_or_else(|e| panic!("{e}"));
        let text: String = frame
            .buffer
            .content()
            .iter()
            .map(ratatui::buffer::Cell::symbol)
            .collect();
        assert!(
            text.contains(&format!("{n} stores")),
            "no fleet header in the frame"
        );
        assert!(text.contains(&middle), "the selected row is not drawn");
        c.bench_function(&format!("table_{n}_stores_{w}x{h}"), |b| {
            b.iter(|| {
                terminal
                    .draw(|f| storectl::ui::draw(f, &app))
                    .unwrap_or_else(|e| panic!("{e}"));
            });
        });
    }
}

criterion_group!(benches, draw);
criterion_main!(benches);
