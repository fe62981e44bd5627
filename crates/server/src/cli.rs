//! `verity` commands. Every flag also reads a `VERITY_*` environment variable; flags win.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use actix_web::HttpServer;
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use verity_core::{Role, SystemClock};
use verity_index::{IndexError, SearchIndex};
use verity_store::users;

use crate::app::{self, Options, Runtime};
use crate::auth;
use crate::import::{self, Source};
use crate::indexer;
use crate::site::{self, Site};

/// `verity --version`: the release and the git revision it was built from.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (git ", env!("VERITY_GIT_REVISION"), ")");

#[derive(Parser)]
#[command(name = "verity", version = VERSION, about = "A knowledge base of short, verified Markdown cards")]
pub struct Cli {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Clone)]
pub struct DataArgs {
    /// Where the database, the search index and secrets live.
    #[arg(long, env = "VERITY_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,
    /// A PostgreSQL URL (postgres://…) or a SQLite file; default DATA_DIR/verity.db.
    #[arg(long, env = "VERITY_DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the web server (imports the content folder at start-up).
    Serve(ServeArgs),
    /// Import a folder of Markdown files once (the cards are not tied to it).
    Import {
        /// The folder to read.
        dir: PathBuf,
    },
    /// Write every card as Markdown with front matter into a folder.
    Export {
        /// The folder to write (created if missing).
        dir: PathBuf,
    },
    /// Rebuild the search index from the database (stop the server first).
    Reindex,
    /// Compare the database with the search index and the content folder; exit 1 if they differ.
    Check(CheckArgs),
    /// Copy the SQLite database to FILE while the server runs (PostgreSQL: use pg_dump).
    Backup {
        /// The file to write; it must not exist.
        file: PathBuf,
    },
    /// Bring a backup back into an empty data dir, rebuild the search index, and write the
    /// content folder's missing card files.
    Restore {
        /// A file `verity backup` wrote.
        file: PathBuf,
        /// The content folder `serve` will sync (files missing there are written).
        #[arg(long = "content", env = "VERITY_CONTENT_DIR", default_value = "./content")]
        content: PathBuf,
    },
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "VERITY_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// The Markdown folder imported at start-up.
    #[arg(long = "content", env = "VERITY_CONTENT_DIR", default_value = "./content")]
    pub content: PathBuf,
    /// Where verification digests are POSTed as JSON (optional).
    #[arg(long, env = "VERITY_WEBHOOK_URL", hide_env_values = true)]
    pub webhook_url: Option<String>,
    /// Largest card body accepted (API, editor, files), in bytes; bigger requests get 413.
    #[arg(long, env = "VERITY_MAX_CARD_BYTES", default_value_t = verity_core::DEFAULT_MAX_CARD_BYTES)]
    pub max_card_bytes: usize,
    /// How long a sign-in lasts, in hours (1 to 720).
    #[arg(long, env = "VERITY_SESSION_HOURS", default_value_t = crate::auth::DEFAULT_SESSION_HOURS,
          value_parser = clap::value_parser!(u32).range(1..=720))]
    pub session_hours: u32,
    /// How often reminders, webhook retries and health snapshots run, in seconds.
    #[arg(long, env = "VERITY_SCHEDULE_SECS", default_value_t = 300)]
    pub schedule_secs: u64,
    /// The URL people open (e.g. https://kb.example.com). With https, cookies are Secure and
    /// responses carry Strict-Transport-Security; sign-in forms are accepted from its origin.
    #[arg(long, env = "VERITY_PUBLIC_URL", value_parser = site::parse_public_url)]
    pub public_url: Option<url::Url>,
    /// Reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed: addresses
    /// or networks, comma-separated (e.g. 127.0.0.1,10.0.0.0/8). Others' are ignored.
    #[arg(long = "trusted-proxy", env = "VERITY_TRUSTED_PROXIES", value_delimiter = ',',
          value_parser = site::parse_trusted_proxy)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

#[derive(Args)]
pub struct CheckArgs {
    /// Index again the cards whose index entry differs (the server must be stopped).
    #[arg(long)]
    pub repair: bool,
    /// The content folder the cards' files are compared with.
    #[arg(long = "content", env = "VERITY_CONTENT_DIR", default_value = "./content")]
    pub content: PathBuf,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an account; the password comes from stdin with --password-stdin, else is generated and printed.
    Add {
        name: String,
        #[arg(long, default_value = "editor")]
        role: Role,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password (signs the user out everywhere and revokes their API tokens).
    Passwd {
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("VERITY_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if std::env::var("VERITY_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => actix_web::rt::System::new().block_on(serve(cli.data, args)),
        Command::Import { dir } => import_once(&cli.data, &dir),
        Command::Export { dir } => export(&cli.data, &dir),
        Command::Reindex => reindex(&cli.data),
        Command::Check(args) => return check(&cli.data, &args),
        Command::Backup { file } => backup(&cli.data, &file),
        Command::Restore { file, content } => restore(&cli.data, &file, &content),
        Command::User(cmd) => user(&cli.data, cmd),
    }?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(data: DataArgs, args: ServeArgs) -> anyhow::Result<()> {
    verity_core::set_max_card_bytes(args.max_card_bytes);
    let admin_password = std::env::var("VERITY_ADMIN_PASSWORD").ok();
    let runtime = Runtime::open(Options {
        data_dir: data.data_dir.clone(),
        database_url: data.database_url,
        clock: Arc::new(SystemClock),
        admin_password,
        // Synced in the background: a large folder must not delay /healthz.
        content: Some(args.content.clone()),
        session_hours: Some(args.session_hours),
        jwt_secret: std::env::var("VERITY_JWT_SECRET").ok(),
        site: Site { public_url: args.public_url.clone(), trusted_proxies: args.trusted_proxies.clone() },
    })?;
    let state = runtime.state.clone();
    let server = HttpServer::new(move || app::build_app(state.clone()))
        // Signals are ours (see `stop_on_signals`): actix stops at once on Ctrl-C.
        .disable_signals()
        .shutdown_timeout(SHUTDOWN_TIMEOUT_SECS)
        .bind(&args.bind)
        .with_context(|| format!("listening on {}", args.bind))?;
    for addr in server.addrs() {
        println!("Verity is running at http://{addr}/");
    }
    if let Some(pw) = &runtime.generated_admin_password {
        println!("First run: sign in as `{}` with password {pw}", app::ADMIN_USERNAME);
        println!(
            "(also saved in {} — change it once signed in)",
            data.data_dir.join(app::ADMIN_PASSWORD_FILE).display()
        );
    }
    let server = server.run();
    actix_web::rt::spawn(stop_on_signals(server.handle()));

    if !args.content.is_dir() {
        tracing::info!(folder = %args.content.display(), "no content folder; nothing to sync");
    }

    let scheduler = crate::reminders::Scheduler::start(
        runtime.state.clone(),
        args.webhook_url.clone(),
        Duration::from_secs(args.schedule_secs.max(1)),
    )?;

    server.await?;
    scheduler.stop();
    runtime.shutdown();
    tracing::info!("stopped");
    Ok(())
}

/// How long a graceful stop waits for requests in flight (a `?wait=true` write waits up
/// to 10 s for the index).
const SHUTDOWN_TIMEOUT_SECS: u64 = 30;

/// SIGTERM and Ctrl-C stop the server gracefully: it stops accepting connections and
/// finishes the requests in flight; `serve` then stops the indexer, which commits
/// everything written so far. A second signal stops at once.
async fn stop_on_signals(server: actix_web::dev::ServerHandle) {
    match next_stop_signal().await {
        Ok(name) => tracing::info!(signal = name, "stopping: finishing the requests in flight"),
        Err(e) => {
            tracing::error!(error = %e, "cannot listen for SIGTERM and Ctrl-C");
            return;
        }
    }
    tokio::select! {
        () = server.stop(true) => {}
        Ok(_) = next_stop_signal() => server.stop(false).await,
    }
}

/// Waits for the next SIGTERM or SIGINT (Ctrl-C).
#[cfg(unix)]
async fn next_stop_signal() -> std::io::Result<&'static str> {
    use actix_web::rt::signal::unix::{SignalKind, signal};
    let (mut term, mut int) = (signal(SignalKind::terminate())?, signal(SignalKind::interrupt())?);
    Ok(tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    })
}

#[cfg(not(unix))]
async fn next_stop_signal() -> std::io::Result<&'static str> {
    actix_web::rt::signal::ctrl_c().await.map(|()| "Ctrl-C")
}

fn import_once(data: &DataArgs, dir: &Path) -> anyhow::Result<()> {
    if !dir.is_dir() {
        bail!("{} is not a folder", dir.display());
    }
    std::fs::create_dir_all(&data.data_dir)?;
    let store = app::open_store(&data.data_dir, data.database_url.as_deref())?;
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{spinner} {bar:40} {pos}/{len} files ({per_sec}, {eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // Index on the other core while the files are written (rather than after), unless a
    // running server holds the index.
    let indexer = start_indexer(&store, data)?;
    let handle = indexer.as_ref().map(indexer::Indexer::handle);
    let progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
        // Called after each transaction commits; a pending wake-up absorbs the rest.
        if let Some(h) = &handle {
            h.wake();
        }
    };
    let report = import::import_dir(&store, dir, Source::OneOff, chrono::Utc::now(), &progress);
    bar.finish_and_clear();
    for skipped in &report.skipped {
        eprintln!("skipped {}: {}", skipped.path, skipped.reason);
    }
    println!("{report}");
    if let Some(indexer) = indexer {
        if !indexer.handle().wait_for_blocking(report.last_seq, Duration::from_secs(600)) {
            eprintln!("the index is still catching up; the server finishes it at start-up");
        }
        indexer.stop();
    }
    Ok(())
}

/// The indexer, or `None` when a running server holds the index (it indexes new cards itself).
fn start_indexer(store: &verity_store::Store, data: &DataArgs) -> anyhow::Result<Option<indexer::Indexer>> {
    let (index, opened) = SearchIndex::open(&data.data_dir.join("index"))?;
    match indexer::Indexer::start_bulk(store.clone(), Arc::new(index), opened == verity_index::Opened::Fresh) {
        Ok(indexer) => Ok(Some(indexer)),
        Err(e) if matches!(e.downcast_ref::<IndexError>(), Some(IndexError::Locked)) => {
            println!("a running server holds the index and will index the new cards within seconds");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

fn export(data: &DataArgs, dir: &Path) -> anyhow::Result<()> {
    let store = app::open_store(&data.data_dir, data.database_url.as_deref())?;
    let bar = ProgressBar::new(0);
    let progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let written = crate::export::export_dir(&store, dir, &progress)?;
    bar.finish_and_clear();
    println!("exported {written} cards to {}", dir.display());
    Ok(())
}

fn reindex(data: &DataArgs) -> anyhow::Result<()> {
    let store = app::open_store(&data.data_dir, data.database_url.as_deref())?;
    let (cards, seq) = indexer::rebuild_in(&store, &data.data_dir.join("index"))?;
    println!("reindexed {cards} cards (change log at {seq})");
    Ok(())
}

/// `verity check`: exit 0 when nothing differs (any longer, after `--repair`), else 1.
fn check(data: &DataArgs, args: &CheckArgs) -> anyhow::Result<ExitCode> {
    if data.database_url.is_none() && !data.data_dir.join("verity.db").is_file() {
        bail!("no database in {} (pass --data-dir or --database-url)", data.data_dir.display());
    }
    let store = app::open_store(&data.data_dir, data.database_url.as_deref())?;
    let outcome = crate::check::check(&store, &data.data_dir.join("index"), Some(&args.content), args.repair)?;
    Ok(if crate::check::print(&outcome) { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn backup(data: &DataArgs, file: &Path) -> anyhow::Result<()> {
    let contents = crate::backup::backup(&data.data_dir, data.database_url.as_deref(), file)?;
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    println!(
        "backed up {} to {} ({:.1} MB, schema {})",
        what_it_holds(&contents),
        file.display(),
        size as f64 / 1e6,
        contents.schema_version
    );
    Ok(())
}

fn restore(data: &DataArgs, file: &Path, content: &Path) -> anyhow::Result<()> {
    let restored = crate::backup::restore(&data.data_dir, data.database_url.as_deref(), file, content)?;
    let contents = &restored.contents;
    println!(
        "restored {} from {} into {}; search index rebuilt ({} live cards)",
        what_it_holds(contents),
        file.display(),
        data.data_dir.display(),
        restored.indexed
    );
    if restored.files_written > 0 {
        println!("wrote {} card files missing from {}", restored.files_written, content.display());
    }
    println!("sign-ins start afresh (the backup holds no signing secret); API tokens keep working");
    Ok(())
}

fn what_it_holds(contents: &verity_store::backup::Contents) -> String {
    let count = |n: i64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "{}, {} and {}",
        count(contents.cards, "card", "cards"),
        count(contents.attachments, "attachment", "attachments"),
        count(contents.users, "account", "accounts")
    )
}

fn read_password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if !from_stdin {
        return Ok((auth::random_string(20), true));
    }
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s)?;
    let pw = s.trim_end_matches(['\n', '\r']).to_owned();
    crate::accounts::check_password(&pw).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((pw, false))
}

fn user(data: &DataArgs, cmd: UserCommand) -> anyhow::Result<()> {
    std::fs::create_dir_all(&data.data_dir)?;
    let store = app::open_store(&data.data_dir, data.database_url.as_deref())?;
    match cmd {
        UserCommand::Add { name, role, password_stdin } => {
            crate::accounts::check_username(&name).map_err(|e| anyhow::anyhow!("{e}"))?;
            let (password, generated) = read_password(password_stdin)?;
            let hash = auth::hash_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
            let new =
                users::NewUser { username: &name, display_name: &name, email: None, password_hash: Some(&hash), role };
            store.write(|c| users::create(c, &new, chrono::Utc::now()))?;
            println!("created {name} ({role})");
            if generated {
                println!("password: {password}");
            }
        }
        UserCommand::Passwd { name, password_stdin } => {
            let (password, generated) = read_password(password_stdin)?;
            let hash = auth::hash_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
            store.write(|c| users::set_password_hash(c, &name, &hash))?;
            println!("password changed for {name}; their sessions and API tokens are revoked");
            if generated {
                println!("password: {password}");
            }
        }
    }
    Ok(())
}
