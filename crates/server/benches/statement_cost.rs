//! What one SQL statement costs the server on SQLite, split into SQLite's own work
//! and the hand-off to the connection's thread and back (issue 13: the cost table
//! that explains the server's CPU per round trip; BENCHMARKS.md).
//!
//! sqlx runs every SQLite connection on a thread of its own: each statement is sent
//! there and its result sent back, so it costs two thread wake-ups beside SQLite's
//! work. This bench measures, through the server's own `Store` (the same pools,
//! pragmas and WAL file as `godkend-server serve`), the process CPU and context
//! switches of:
//! - one `SELECT 1` per call on the read pool (one hand-off, one trivial statement),
//!   and on the writer connection the store holds (no pool, so no test of the
//!   connection when it comes back);
//! - 100 `SELECT 1` sent as one batch (one command, 100 statements): a hundredth of
//!   it bounds SQLite's own cost per statement from above (the batch's results still
//!   come back one by one);
//! - a write transaction as the server runs one (`BEGIN IMMEDIATE`, one insert into
//!   the audit log, `COMMIT`), and the same with four inserts, also per statement
//!   (BEGIN and COMMIT are hand-offs like any other), and the four-insert one sent
//!   as one batch: what a store that hands a whole transaction over at once would
//!   pay.
//!
//! Each figure is taken at 1 and at 16 concurrent tasks, three times, and the round
//! with the least CPU is kept: what other processes on a shared machine add
//! (preemption, caches) only ever adds. It prints `BENCH statement.*` lines for
//! scripts/bench.sh beside a human summary. GODKEND_BENCH_STATEMENTS sets the calls
//! per figure [5000].

// A bench stops at the first thing that fails, and its counters are far below 2^52.
#![allow(clippy::expect_used, clippy::cast_precision_loss)]

use std::time::Instant;

use godkend_server::store::{Store, sqlite_url};

// The load bench's /proc reading, for this process.
#[path = "load/usage.rs"]
#[expect(
    dead_code,
    reason = "the memory figure is the load bench's; this one reads CPU"
)]
mod usage;

/// One measured figure: per call, microseconds of CPU (user, system) and switches.
struct Cost {
    user_us: f64,
    system_us: f64,
    switches: f64,
    wall_us: f64,
}

impl Cost {
    fn cpu_us(&self) -> f64 {
        self.user_us + self.system_us
    }
}

/// The cheapest of three rounds of `measure_once`.
async fn measure<F, Fut>(n: u32, tasks: u32, call: F) -> Cost
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let mut best = measure_once(n, tasks, call.clone()).await;
    for _ in 0..2 {
        let next = measure_once(n, tasks, call.clone()).await;
        if next.cpu_us() < best.cpu_us() {
            best = next;
        }
    }
    best
}

/// Runs `call` `n` times in all from `tasks` concurrent tasks (one after another
/// within each), and divides what it cost by `n`. One task shows a statement alone;
/// several show it as under load, when the runtime's threads park less often.
async fn measure_once<F, Fut>(n: u32, tasks: u32, call: F) -> Cost
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let run = |count: u32| {
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let call = call.clone();
                tokio::spawn(async move {
                    for _ in 0..count / tasks {
                        call().await;
                    }
                })
            })
            .collect();
        async move {
            for handle in handles {
                handle.await.expect("a bench task");
            }
        }
    };
    // A warm-up pass: prepared statements cached, pages in memory.
    run(n / 10).await;
    let before = usage::own_usage();
    let started = Instant::now();
    run(n).await;
    let wall = started.elapsed().as_secs_f64();
    let after = usage::own_usage();
    let per = f64::from(n / tasks * tasks);
    Cost {
        user_us: ((after.cpu_seconds - after.system_seconds)
            - (before.cpu_seconds - before.system_seconds))
            * 1e6
            / per,
        system_us: (after.system_seconds - before.system_seconds) * 1e6 / per,
        switches: (after.switches - before.switches) as f64 / per,
        wall_us: wall * 1e6 / per,
    }
}

fn report(key: &str, what: &str, cost: &Cost) {
    println!(
        "{what:<44} {:>7.1} µs CPU ({:>5.1} user, {:>5.1} system), {:>5.1} context switches, {:>7.1} µs wall",
        cost.cpu_us(),
        cost.user_us,
        cost.system_us,
        cost.switches,
        cost.wall_us
    );
    println!("BENCH statement.{key}.cpu_us={:.2}", cost.cpu_us());
    println!("BENCH statement.{key}.switches={:.2}", cost.switches);
}

/// A write transaction as the server runs one, with `inserts` audit rows.
async fn write_transaction(store: &Store, inserts: usize) {
    let mut tx = store.begin().await.expect("BEGIN IMMEDIATE");
    for _ in 0..inserts {
        sqlx::query(
            "INSERT INTO audit (at, event, actor, user_id, device_id, ip, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(1_i64)
        .bind("bench")
        .bind("bench")
        .bind(Option::<String>::None)
        .bind(Option::<String>::None)
        .bind(Option::<String>::None)
        .bind("statement cost")
        .execute(&mut *tx)
        .await
        .expect("insert");
    }
    tx.commit().await.expect("COMMIT");
}

/// The same four-insert transaction handed to the connection's thread in one piece:
/// what a store that runs a whole transaction there would pay (the next step for the
/// server, BENCHMARKS.md). A bench only: values are literals, nothing is bound.
async fn write_transaction_at_once(store: &Store) {
    let insert = "INSERT INTO audit (at, event, actor, user_id, device_id, ip, detail) \
                  VALUES (1, 'bench', 'bench', NULL, NULL, NULL, 'statement cost');";
    let batch = format!("BEGIN IMMEDIATE; {} COMMIT;", insert.repeat(4));
    let mut conn = store.writer().await.expect("the writer");
    sqlx::raw_sql(sqlx::AssertSqlSafe(batch))
        .execute(&mut *conn)
        .await
        .expect("one batch");
}

fn main() {
    let n: u32 = std::env::var("GODKEND_BENCH_STATEMENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    // The server's own runtime shape: tokio's multi-threaded scheduler.
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = Store::open(&sqlite_url(&dir.path().join("godkend.db")))
            .await
            .expect("the store opens");
        println!(
            "SQLite statement costs through the server's Store (WAL, synchronous=NORMAL), \
             {n} calls per figure; CPU and context switches of the whole process"
        );
        for tasks in [1, 16] {
            println!("{tasks} concurrent task(s):");
            measure_all(&store, n, tasks).await;
        }
        store.close().await;
    });
}

/// Every figure at one level of concurrency.
async fn measure_all(store: &Store, n: u32, tasks: u32) {
    let level = format!("tasks{tasks}");
    let pool = store.pool().clone();
    let one = measure(n, tasks, move || {
        let pool = pool.clone();
        async move {
            sqlx::query("SELECT 1")
                .execute(&pool)
                .await
                .expect("SELECT 1");
        }
    })
    .await;
    report(
        &format!("{level}.read"),
        "  SELECT 1 on the read pool",
        &one,
    );
    // The same on the store's writer connection, which it holds rather than pools
    // (store/writer.rs): no test of the connection when it comes back, which is one
    // more hand-off to its thread.
    let writer = store.clone();
    let on_held = measure(n, tasks, move || {
        let store = writer.clone();
        async move {
            sqlx::query("SELECT 1")
                .execute(&mut *store.writer().await.expect("the writer"))
                .await
                .expect("SELECT 1");
        }
    })
    .await;
    report(
        &format!("{level}.read_held"),
        "  SELECT 1 on the store's held writer",
        &on_held,
    );
    let pool = store.pool().clone();
    let hundred = measure(n / 10, tasks, move || {
        let pool = pool.clone();
        async move {
            sqlx::raw_sql(sqlx::AssertSqlSafe("SELECT 1;".repeat(100)))
                .execute(&pool)
                .await
                .expect("100 × SELECT 1");
        }
    })
    .await;
    report(
        &format!("{level}.batch100"),
        "  100 × SELECT 1 sent as one batch",
        &hundred,
    );
    // An upper bound: the batch's 100 results still come back one by one.
    let sqlite_own = hundred.cpu_us() / 100.0;
    println!(
        "{:<44} {sqlite_own:>7.1} µs CPU",
        "    so: SQLite's own work per statement, at most"
    );
    println!("BENCH statement.{level}.sqlite_own_us={sqlite_own:.2}");
    // The write transactions: (key, what, inserts statement by statement or None
    // for the four-insert batch, statements counting BEGIN and COMMIT).
    let shapes = [
        ("tx1", "  BEGIN IMMEDIATE, 1 insert, COMMIT", Some(1), 3.0),
        ("tx4", "  BEGIN IMMEDIATE, 4 inserts, COMMIT", Some(4), 6.0),
        (
            "tx4_batch",
            "  the same sent as one batch (1 hand-off)",
            None,
            6.0,
        ),
    ];
    for (key, what, inserts, statements) in shapes {
        let writer = store.clone();
        let cost = measure(n, tasks, move || {
            let store = writer.clone();
            async move {
                match inserts {
                    Some(inserts) => write_transaction(&store, inserts).await,
                    None => write_transaction_at_once(&store).await,
                }
            }
        })
        .await;
        report(&format!("{level}.{key}"), what, &cost);
        let per = cost.cpu_us() / statements;
        println!(
            "{:<44} {per:>7.1} µs CPU",
            format!("    so: per statement of the {statements:.0}")
        );
        println!("BENCH statement.{level}.{key}_per_statement_us={per:.2}");
    }
}
