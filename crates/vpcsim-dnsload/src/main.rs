//! `vpcsim-dnsload`: the command line of the load generator (see the library's documentation).
//! Prints its counts in dnsperf's words (`Queries sent:`, `Queries completed:`, `Queries lost:`,
//! `Queries per second:`), so `bench/dns.sh` reads both the same way.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use vpcsim_dnsload::{Config, parse_queries, run};

/// Sends the queries of a dnsperf query file to a DNS server over UDP and counts the answers.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The server's address and port.
    #[arg(short, long, default_value = "127.0.0.1:53")]
    server: SocketAddr,
    /// The query file: `NAME TYPE` per line, sent in order and again from the start.
    #[arg(short = 'd', long)]
    data: std::path::PathBuf,
    /// Seconds to send queries.
    #[arg(short = 'l', long, default_value_t = 10.0)]
    duration: f64,
    /// Threads.
    #[arg(short = 'T', long, default_value_t = 1)]
    threads: usize,
    /// UDP sockets per thread.
    #[arg(short = 'c', long, default_value_t = 4)]
    sockets: usize,
    /// Queries outstanding per socket.
    #[arg(short = 'q', long, default_value_t = 64)]
    outstanding: usize,
    /// Seconds after which an unanswered query is lost.
    #[arg(short = 't', long, default_value_t = 2.0)]
    timeout: f64,
    /// Send at most this many queries in all.
    #[arg(short = 'n', long)]
    limit: Option<u64>,
    /// Never sleep: read the sockets in a loop instead of waiting for answers (for a generator
    /// with a CPU of its own).
    #[arg(long)]
    spin: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let text = match std::fs::read_to_string(&args.data) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("vpcsim-dnsload: {}: {e}", args.data.display());
            return ExitCode::from(2);
        }
    };
    let queries = match parse_queries(&text) {
        Ok(q) => q,
        Err(e) => {
            eprintln!("vpcsim-dnsload: {}: {e}", args.data.display());
            return ExitCode::from(2);
        }
    };
    let (Ok(duration), Ok(timeout)) = (
        Duration::try_from_secs_f64(args.duration),
        Duration::try_from_secs_f64(args.timeout),
    ) else {
        eprintln!("vpcsim-dnsload: the duration and the timeout must be seconds");
        return ExitCode::from(2);
    };
    let config = Config {
        server: args.server,
        duration,
        threads: args.threads,
        sockets: args.sockets,
        outstanding: args.outstanding,
        timeout,
        limit: args.limit,
        spin: args.spin,
    };
    let report = match run(&config, &queries) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("vpcsim-dnsload: {e}");
            return ExitCode::from(2);
        }
    };
    println!(
        "vpcsim-dnsload: {} queries, {} thread(s) x {} socket(s) x {} outstanding, to {}",
        queries.len(),
        config.threads,
        config.sockets,
        config.outstanding,
        config.server
    );
    println!("  Queries sent:         {}", report.sent);
    println!("  Queries completed:    {}", report.completed);
    println!("  Queries lost:         {}", report.lost);
    println!("  Bad answers:          {}", report.bad);
    println!("  Unexpected datagrams: {}", report.unexpected);
    let names = [
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
    ];
    let codes: Vec<String> = report
        .rcodes
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(c, n)| match names.get(c) {
            Some(name) => format!("{name} {n}"),
            None => format!("RCODE{c} {n}"),
        })
        .collect();
    println!("  Response codes:       {}", codes.join(", "));
    println!("  Truncated answers:    {}", report.truncated);
    println!(
        "  Run time (s):         {:.6}",
        report.elapsed.as_secs_f64()
    );
    println!("  Queries per second:   {:.6}", report.qps());
    if report.lost + report.bad + report.unexpected > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
