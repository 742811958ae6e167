//! `squeezedesk`: the command-line face of the core library.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use squeezedesk::bench::{self, BenchEvent, BenchOptions};
use squeezedesk::chat::{self, ChatEvent};
use squeezedesk::config::{default_database, default_model_dir};
use squeezedesk::engine::{FileStatus, ImportEvent};
use squeezedesk::kb::source::Format;
use squeezedesk::kb::Article;
use squeezedesk::model::manifest;
use squeezedesk::triage::{self, InboxFilter};
use squeezedesk::worker::Shutdown;
use squeezedesk::{eval, profile, Engine, EngineConfig, Provider, Variant};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "squeezedesk", version, about = "Offline support desk on SqueezeBERT: analyse, search, answer, triage")]
struct Cli {
    #[command(flatten)]
    engine: EngineArgs,
    /// Print per-stage latency percentiles (stderr) when the command ends.
    #[arg(long, global = true)]
    timings: bool,
    /// More log output (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct EngineArgs {
    /// Model folder (with manifest.json).
    #[arg(long, global = true, env = "SQUEEZEDESK_MODEL")]
    model: Option<PathBuf>,
    /// Model weights to run.
    #[arg(long, global = true, value_enum, default_value_t = Variant::Fp32)]
    variant: Variant,
    /// Execution provider; a GPU provider that cannot load falls back to CPU and says why.
    #[arg(long, global = true, value_enum, default_value_t = Provider::Cpu)]
    provider: Provider,
    /// ONNX Runtime intra-op threads (0: one per core).
    #[arg(long, global = true, default_value_t = 0)]
    threads: usize,
    /// Let ONNX Runtime's threads busy-wait between runs (lower latency on an otherwise idle
    /// machine, slower retrieval right after inference on 2 cores).
    #[arg(long, global = true)]
    spin: bool,
    /// SQLite database file (default: the platform's data directory).
    #[arg(long, global = true, env = "SQUEEZEDESK_DB")]
    db: Option<PathBuf>,
    /// Path of libonnxruntime.so (default: ORT_DYLIB_PATH, beside the binary, or .ort/lib).
    #[arg(long, global = true)]
    ort_lib: Option<PathBuf>,
}

impl EngineArgs {
    fn config(&self) -> EngineConfig {
        let mut config = EngineConfig::new(
            self.model.clone().unwrap_or_else(default_model_dir),
            self.db.clone().unwrap_or_else(default_database),
        );
        config.variant = self.variant;
        config.provider = self.provider;
        config.threads = self.threads;
        config.spinning = self.spin;
        config.ort_library = self.ort_lib.clone();
        config
    }
}

#[derive(Subcommand)]
enum Command {
    /// Intent, sentiment and custom intent of each text (stdin lines when no text is given).
    Analyze {
        #[arg(long)]
        json: bool,
        /// Include the 384-d embedding in the JSON.
        #[arg(long)]
        embedding: bool,
        texts: Vec<String>,
    },
    /// The knowledge base.
    #[command(subcommand)]
    Kb(KbCommand),
    /// Ask a question; the grounded answer streams in (interactive when no message is given).
    Chat {
        /// Continue this conversation.
        #[arg(long)]
        conversation: Option<i64>,
        /// One JSON event per line.
        #[arg(long)]
        json: bool,
        message: Vec<String>,
    },
    /// Stored conversations.
    #[command(subcommand)]
    Conversations(ConversationCommand),
    /// Triage messages from a CSV / JSON-lines / text file, or stdin ("-" or nothing).
    Triage {
        file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// The triage inbox.
    #[command(subcommand)]
    Inbox(InboxCommand),
    /// Custom intents defined by example phrases.
    #[command(subcommand)]
    Intents(IntentCommand),
    /// Model folders found beside the default one, with their manifests.
    Models { dir: Option<PathBuf> },
    /// Latency and throughput of the model and the triage path, with baselines side by side.
    Bench {
        /// One JSON object instead of the table.
        #[arg(long)]
        json: bool,
        /// Timed runs per configuration and length.
        #[arg(long)]
        runs: Option<usize>,
        /// A short run: fewer repetitions, 10k passages only.
        #[arg(long)]
        quick: bool,
        /// Folder of baseline models (default: models/baselines beside the model).
        #[arg(long)]
        baselines: Option<PathBuf>,
    },
    /// Held-out metrics of the model (the model card's table), computed with this engine.
    Eval {
        /// Data folder in the layout of shared/data (sst2/, tweeteval-sentiment/, clinc150/, ...).
        #[arg(long)]
        data: PathBuf,
        /// At most this many items per set.
        #[arg(long)]
        limit: Option<usize>,
        #[arg(long)]
        json: bool,
    },
    /// The engine as the dev panel sees it: provider, threads, model, memory.
    Status {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum KbCommand {
    /// Import a folder of .md, .txt, .csv and .json files (only changed articles are re-embedded).
    Import {
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Hybrid search (BM25 + dense, fused).
    Search {
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 5)]
        limit: usize,
        query: Vec<String>,
    },
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show an article by id or path.
    Show {
        key: String,
    },
    /// Replace an article's text from a file (re-embedded on save).
    Edit {
        key: String,
        file: PathBuf,
        #[arg(long)]
        title: Option<String>,
    },
    Delete {
        key: String,
    },
    /// Re-embed every article with the loaded model.
    Reindex,
    Stats,
}

#[derive(Subcommand)]
enum ConversationCommand {
    List,
    /// Print a conversation as Markdown or JSON.
    Export {
        id: i64,
        #[arg(long, value_parser = ["md", "json"], default_value = "md")]
        format: String,
    },
    Delete {
        id: i64,
    },
}

#[derive(Subcommand)]
enum InboxCommand {
    /// The queue, most urgent first.
    List {
        #[arg(long)]
        intent: Option<String>,
        #[arg(long)]
        sentiment: Option<String>,
        /// Include handled messages.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Mark a message handled (or --undo).
    Handle {
        id: i64,
        #[arg(long)]
        undo: bool,
    },
}

#[derive(Subcommand)]
enum IntentCommand {
    /// Create an intent (or add examples to it).
    Add {
        name: String,
        /// An example phrase; repeat for more.
        #[arg(short, long = "example", required = true)]
        examples: Vec<String>,
        /// 0..1: how much the intent raises triage priority.
        #[arg(long)]
        urgency: Option<f32>,
        #[arg(long, default_value = "")]
        description: String,
    },
    List {
        #[arg(long)]
        json: bool,
    },
    Remove {
        name: String,
    },
    /// Rank the custom intents for a sentence, with the examples that decide.
    Test {
        text: Vec<String>,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let default_level = match cli.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level)))
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    if let Command::Models { dir } = &cli.command {
        let root = dir.clone().unwrap_or_else(|| default_model_dir().parent().map(PathBuf::from).unwrap_or_default());
        for (path, manifest) in manifest::discover(&root) {
            match manifest {
                Ok(m) => {
                    println!(
                        "{}\t{} {}\tvariants: {}\theads: {}",
                        path.display(),
                        m.name,
                        m.version,
                        m.variants.keys().cloned().collect::<Vec<_>>().join(","),
                        [m.heads.intent.as_ref().map(|_| "intent"), m.heads.sentiment.as_ref().map(|_| "sentiment")]
                            .into_iter()
                            .flatten()
                            .collect::<Vec<_>>()
                            .join(",")
                    );
                    for missing in m.missing_features() {
                        println!("\tlacks {}: {}", missing.feature, missing.consequence);
                    }
                }
                Err(e) => println!("{}\tunusable: {e}", path.display()),
            }
        }
        return Ok(std::process::ExitCode::SUCCESS);
    }
    if let Command::Bench { json, runs, quick, baselines } = &cli.command {
        let config = cli.engine.config();
        let mut options =
            if *quick { BenchOptions::quick(config.model_dir.clone()) } else { BenchOptions::full(config.model_dir.clone()) };
        options.ort_library = config.ort_library.clone();
        // `--threads N` measures N intra-op threads only; by default 1 and 2 are interleaved.
        if let Some(t) = (cli.engine.threads > 0).then_some(cli.engine.threads) {
            options.threads = vec![t];
        }
        if let Some(r) = runs {
            options.runs = *r;
        }
        if let Some(dir) = baselines {
            options.baselines_dir = Some(dir.clone());
        }
        let bar = progress_bar();
        let report = bench::run(&options, |BenchEvent::Progress { done, total, label }| {
            bar.set_length(*total as u64);
            bar.set_position(*done as u64);
            bar.set_message(label.clone());
        })
        .await?;
        bar.finish_and_clear();
        if *json {
            print_json(&report)?;
        } else {
            print!("{}", bench::format_table(&report));
        }
        return Ok(std::process::ExitCode::SUCCESS);
    }
    let engine = Engine::open(cli.engine.config()).await?;
    let report = &engine.backend_info().provider;
    if report.fell_back() {
        eprintln!(
            "warning: {} execution provider unavailable, running on CPU ({})",
            report.requested.as_str(),
            report.fallback_reasons.join("; ")
        );
    }
    let result = dispatch(&engine, cli.command).await;
    if cli.timings {
        eprint!("{}", profile::format_table(&engine.metrics(0)));
    }
    engine.shutdown(Shutdown::Drain).await;
    result
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}

fn read_stdin_lines() -> anyhow::Result<Vec<String>> {
    let mut lines = Vec::new();
    for line in std::io::stdin().lock().lines() {
        let line = line.context("reading stdin")?;
        if !line.trim().is_empty() {
            lines.push(line);
        }
    }
    Ok(lines)
}

async fn dispatch(engine: &Arc<Engine>, command: Command) -> anyhow::Result<std::process::ExitCode> {
    let mut code = std::process::ExitCode::SUCCESS;
    match command {
        Command::Analyze { json, embedding, texts } => {
            let texts = if texts.is_empty() { read_stdin_lines()? } else { texts };
            for (text, result) in texts.iter().zip(engine.analyze_many(&texts).await) {
                match result {
                    Ok(mut a) => {
                        if !embedding {
                            a.embedding.clear();
                        }
                        if json {
                            print_json(&a)?;
                        } else {
                            println!("{}", describe(&a));
                        }
                    }
                    Err(e) => {
                        code = std::process::ExitCode::FAILURE;
                        if json {
                            print_json(&serde_json::json!({ "text": text, "error": e.to_string() }))?;
                        } else {
                            eprintln!("error: {e}: {text:?}");
                        }
                    }
                }
            }
        }
        Command::Kb(kb) => code = kb_command(engine, kb).await?,
        Command::Chat { conversation, json, message } => {
            if message.is_empty() {
                chat_repl(engine, conversation, json).await?;
            } else if !chat_once(engine, conversation, message.join(" "), json).await?.1 {
                code = std::process::ExitCode::FAILURE;
            }
        }
        Command::Conversations(c) => match c {
            ConversationCommand::List => {
                for c in chat::list_conversations(engine).await? {
                    println!("{}\t{}\t{}", c.id, c.updated_at, c.title);
                }
            }
            ConversationCommand::Export { id, format } => {
                print!("{}", chat::export(engine, id, chat::ExportFormat::from_name(&format)?).await?);
            }
            ConversationCommand::Delete { id } => chat::delete_conversation(engine, id).await?,
        },
        Command::Triage { file, json } => {
            let (content, source) = match file.filter(|f| f.as_os_str() != "-") {
                Some(path) => (
                    std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?,
                    path.display().to_string(),
                ),
                None => {
                    let mut s = String::new();
                    std::io::stdin().read_to_string(&mut s).context("reading stdin")?;
                    (s, "stdin".to_string())
                }
            };
            let (messages, mut rejected) = triage::parse_messages(&content)?;
            let (items, refused) = triage::triage(engine, &messages, &source).await?;
            rejected.extend(refused);
            for item in &items {
                if json {
                    print_json(item)?;
                } else {
                    println!(
                        "#{:<5} {:>5.1}  {:<22} {:<8} {}",
                        item.id,
                        item.priority,
                        item.intent,
                        item.sentiment,
                        one_line(&item.text, 70)
                    );
                }
            }
            for r in &rejected {
                eprintln!("skipped message {}: {}", r.line, r.error);
            }
            if !json {
                eprintln!("{} messages triaged, {} skipped", items.len(), rejected.len());
            }
        }
        Command::Inbox(c) => match c {
            InboxCommand::List { intent, sentiment, all, json } => {
                let filter = InboxFilter { intent, sentiment, include_handled: all, limit: None, offset: None };
                for item in triage::list(engine, &filter).await? {
                    if json {
                        print_json(&item)?;
                    } else {
                        let done = if item.handled { "✓" } else { " " };
                        println!(
                            "{done} #{:<5} {:>5.1}  {:<22} {:<8} {}",
                            item.id,
                            item.priority,
                            item.intent,
                            item.sentiment,
                            one_line(&item.text, 70)
                        );
                    }
                }
            }
            InboxCommand::Handle { id, undo } => {
                triage::set_handled(engine, id, !undo).await?;
            }
        },
        Command::Intents(c) => match c {
            IntentCommand::Add { name, examples, urgency, description } => {
                let intent = engine.add_intent(&name, &description, urgency, &examples).await?;
                println!("{}: {} examples, urgency {:.2}", intent.name, intent.examples.len(), intent.urgency);
            }
            IntentCommand::List { json } => {
                let intents = engine.intent_store().list().await?;
                if json {
                    print_json(&intents)?;
                } else {
                    for i in intents {
                        println!(
                            "{}\turgency {:.2}\t{} examples: {}",
                            i.name,
                            i.urgency,
                            i.examples.len(),
                            i.examples.join(" | ")
                        );
                    }
                }
            }
            IntentCommand::Remove { name } => engine.intent_store().remove(&name).await?,
            IntentCommand::Test { text } => {
                let ranked = engine.explain_intents(&text.join(" ")).await?;
                if ranked.is_empty() {
                    println!("no custom intents defined");
                }
                for m in ranked {
                    let mark = if m.matched { "match" } else { "     " };
                    println!("{mark} {:.3} {}", m.score, m.label);
                    for e in m.nearest {
                        println!("        {:.3} {}", e.score, e.text);
                    }
                }
            }
        },
        Command::Status { json } => {
            let status = engine.status(0);
            if json {
                println!("{}", serde_json::to_string_pretty(&status)?);
            } else {
                let b = &status.backend;
                println!(
                    "model       {} {} ({}, {}, {:.1} MiB)",
                    b.model,
                    b.version,
                    b.variant.as_str(),
                    b.file,
                    b.file_bytes as f64 / 1048576.0
                );
                println!("provider    {} (requested {})", b.provider.active.as_str(), b.provider.requested.as_str());
                for r in &b.provider.fallback_reasons {
                    println!("            fallback: {r}");
                }
                println!("threads     {} (cores {})", b.threads, status.cpu_threads);
                println!("load        {:.0} ms", b.load_ms);
                println!("heads       {}", b.heads.join(", "));
                println!("database    {}", status.database);
                println!("runtime     {}", b.ort_library);
                if let Some(rss) = status.process_rss_bytes {
                    println!("memory      {:.1} MiB resident", rss as f64 / 1048576.0);
                }
            }
        }
        Command::Eval { data, limit, json } => {
            let bar = progress_bar();
            let options = eval::EvalOptions { data_dir: data, limit };
            let report = eval::run(engine, &options, |set, done, total| {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
                bar.set_message(set.to_string());
            })
            .await?;
            bar.finish_and_clear();
            if json {
                print_json(&report)?;
            } else {
                print!("{}", eval::format_table(&report));
            }
        }
        Command::Models { .. } | Command::Bench { .. } => unreachable!("handled before the engine starts"),
    }
    Ok(code)
}

async fn kb_command(engine: &Arc<Engine>, command: KbCommand) -> anyhow::Result<std::process::ExitCode> {
    let kb = engine.knowledge_base();
    match command {
        KbCommand::Import { dir, json } => {
            let bar = progress_bar();
            let summary = engine
                .import_folder(&dir, |event| match event {
                    ImportEvent::Started { files, .. } => bar.set_length(*files as u64),
                    ImportEvent::File { path, status, .. } => {
                        bar.inc(1);
                        bar.set_message(path.clone());
                        if let FileStatus::Failed { error } = status {
                            bar.suspend(|| eprintln!("skipped {path}: {error}"));
                        }
                    }
                    ImportEvent::Finished { .. } => bar.finish_and_clear(),
                })
                .await?;
            if json {
                print_json(&summary)?;
            } else {
                println!(
                    "{} files: {} articles imported ({} passages), {} unchanged, {} files skipped, {:.1} s",
                    summary.files,
                    summary.imported_articles,
                    summary.passages,
                    summary.unchanged_articles,
                    summary.failed.len(),
                    summary.elapsed_ms / 1e3
                );
            }
        }
        KbCommand::Search { json, limit, query } => {
            let results = engine.search(&query.join(" "), limit).await?;
            if json {
                print_json(&results)?;
            } else {
                for (i, hit) in results.results.iter().enumerate() {
                    println!("{}. {} ({})  score {:.4}  cosine {:.3}", i + 1, hit.title, hit.document, hit.score, hit.cosine);
                    println!("   {}", one_line(&hit.passage, 100));
                }
            }
        }
        KbCommand::List { json } => {
            let docs = kb.list(i64::MAX, 0).await?;
            if json {
                print_json(&docs)?;
            } else {
                for d in docs {
                    println!("{}\t{}\t{}\t{} passages", d.id, d.document, d.title, d.chunks);
                }
            }
        }
        KbCommand::Show { key } => {
            let doc = kb.get(&key).await?;
            println!("# {}\n({}, {})\n\n{}", doc.title, doc.document, doc.updated_at, doc.body);
        }
        KbCommand::Edit { key, file, title } => {
            let doc = kb.get(&key).await?;
            let body = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let format = Format::from_name(&doc.format);
            let saved =
                engine.save_article(Article { path: doc.document, title: title.unwrap_or(doc.title), body, format }).await?;
            println!("saved {} ({} passages)", saved.document, saved.passages.len());
        }
        KbCommand::Delete { key } => {
            let doc = kb.get(&key).await?;
            kb.delete(doc.id).await?;
        }
        KbCommand::Reindex => {
            let bar = progress_bar();
            let n = engine
                .reindex(|done, total, path| {
                    bar.set_length(total as u64);
                    bar.set_position(done as u64);
                    bar.set_message(path.to_string());
                })
                .await?;
            bar.finish_and_clear();
            println!("re-embedded {n} articles");
        }
        KbCommand::Stats => {
            let s = kb.stats().await?;
            println!("{} articles, {} passages, {} passages embedded by another model", s.documents, s.chunks, s.stale_chunks);
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// A progress bar on stderr, hidden when stderr is not a terminal (pipes, CI logs).
fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}").expect("valid template"));
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar
}

fn describe(a: &squeezedesk::Analysis) -> String {
    let mut parts = Vec::new();
    if let Some(i) = &a.intent {
        parts.push(format!("intent {} ({:.2})", i.label, i.score));
    }
    if let Some(s) = &a.sentiment {
        parts.push(format!("sentiment {} ({:.2})", s.label, s.score));
    }
    if let Some(c) = &a.custom_intent {
        parts.push(format!("custom {} ({:.2})", c.label, c.score));
    }
    if a.truncated {
        parts.push(format!("truncated to {} tokens", a.tokens));
    }
    format!("{}\t{}", parts.join("  "), one_line(&a.text, 80))
}

fn one_line(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > max {
        format!("{}…", flat.chars().take(max - 1).collect::<String>())
    } else {
        flat
    }
}

/// Prints one answer as its events arrive; returns the conversation id and whether it worked.
async fn chat_once(
    engine: &Arc<Engine>,
    conversation: Option<i64>,
    message: String,
    json: bool,
) -> anyhow::Result<(Option<i64>, bool)> {
    let mut stream = Box::pin(chat::chat(engine.clone(), conversation, message));
    let mut conversation_id = conversation;
    let mut ok = true;
    let mut out = std::io::stdout();
    while let Some(event) = stream.next().await {
        if json {
            print_json(&event)?;
            if let ChatEvent::Error { .. } = event {
                ok = false;
            }
            if let ChatEvent::Started { conversation_id: id, .. } = event {
                conversation_id = Some(id);
            }
            continue;
        }
        match event {
            ChatEvent::Started { conversation_id: id, .. } => conversation_id = Some(id),
            ChatEvent::Analysis { analysis } => eprintln!("[{}]", describe(&analysis).split('\t').next().unwrap_or_default()),
            ChatEvent::Sources { sources } => {
                for s in &sources {
                    eprintln!("[{}] {} ({})", s.n, s.title, s.document);
                }
            }
            ChatEvent::Delta { text } => {
                write!(out, "{text}")?;
                out.flush()?;
            }
            ChatEvent::Done { .. } => writeln!(out)?,
            ChatEvent::Error { message } => {
                eprintln!("error: {message}");
                ok = false;
            }
        }
    }
    Ok((conversation_id, ok))
}

async fn chat_repl(engine: &Arc<Engine>, mut conversation: Option<i64>, json: bool) -> anyhow::Result<()> {
    if !std::io::stdin().is_terminal() {
        for line in tokio::task::spawn_blocking(read_stdin_lines).await?? {
            conversation = chat_once(engine, conversation, line, json).await?.0;
        }
        return Ok(());
    }
    eprintln!("Ask a question (Ctrl-D to quit).");
    loop {
        eprint!("> ");
        let line = tokio::task::spawn_blocking(|| {
            let mut s = String::new();
            std::io::stdin().read_line(&mut s).map(|n| (n, s))
        })
        .await??;
        if line.0 == 0 {
            return Ok(());
        }
        if line.1.trim().is_empty() {
            continue;
        }
        conversation = chat_once(engine, conversation, line.1.trim().to_string(), json).await?.0;
    }
}
