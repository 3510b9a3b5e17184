//! Writes the generated migration history (the one the benchmarks replay) to a directory, to
//! time `pgvet check` against other tools on the same files:
//! `cargo run --release -p pgvet-linter --example gen_history -- 800 /tmp/history`
fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(800);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "/tmp/pgvet-history".into()));
    let migrations = dir.join("migrations");
    std::fs::create_dir_all(&migrations).expect("create the directory");
    let mut bytes = 0;
    for m in pgvet_linter::synthetic::project(n) {
        let name = m.source.path.rsplit('/').next().unwrap_or(&m.source.path).to_string();
        bytes += m.source.text.len();
        std::fs::write(migrations.join(name), &m.source.text).expect("write a migration");
    }
    println!("{n} migrations, {bytes} bytes in {}", migrations.display());
}
