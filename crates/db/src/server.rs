//! A private, throwaway PostgreSQL server: its own data directory and unix-socket directory
//! under the system temp dir, no TCP listener, stopped and deleted on drop.
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

/// Servers started by this process (data directory root, binaries, run as `postgres`), so that
/// a signal handler can stop them: see [`stop_all`].
static RUNNING: Mutex<Vec<(PathBuf, PathBuf, bool)>> = Mutex::new(Vec::new());

/// Stops every throwaway server this process started and deletes its directory. For a
/// Ctrl-C/SIGTERM handler: the servers' `Drop` does not run when the process is killed.
pub fn stop_all() {
    let servers = std::mem::take(&mut *RUNNING.lock().unwrap_or_else(|e| e.into_inner()));
    for (root, bin, as_postgres_user) in servers {
        let pg = TempPostgres { root, bin, as_postgres_user, socket_dir: PathBuf::new(), port: 0 };
        drop(pg);
    }
}

/// Quotes for the shell that pg_ctl hands its `-o` options to.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

pub struct TempPostgres {
    root: PathBuf,
    bin: PathBuf,
    as_postgres_user: bool,
    pub socket_dir: PathBuf,
    pub port: u16,
}

const INSTALL_HINT: &str = "PostgreSQL server binaries (initdb, pg_ctl) were not found. Install them \
(Debian/Ubuntu: `apt-get install postgresql`), or set PGVET_PG_BIN to the directory that holds them.";

/// The directory with `initdb` and `pg_ctl`: `$PGVET_PG_BIN`, else the newest
/// `/usr/lib/postgresql/*/bin`, else `pg_config --bindir`.
pub fn find_bin_dir() -> Result<PathBuf, String> {
    if let Ok(p) = std::env::var("PGVET_PG_BIN") {
        let p = PathBuf::from(p);
        return if p.join("initdb").exists() { Ok(p) } else { Err(format!("PGVET_PG_BIN={} has no initdb. {INSTALL_HINT}", p.display())) };
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    found.sort();
    if let Some((_, p)) = found.pop() {
        return Ok(p);
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let p = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if p.join("initdb").exists() {
            return Ok(p);
        }
    }
    Err(INSTALL_HINT.to_string())
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

impl TempPostgres {
    /// Initialises and starts a new server. Errors say what to install when binaries are missing.
    pub fn start() -> Result<Self, String> {
        Self::start_with(None, "")
    }

    /// A server for grading a project: extensions that must be loaded at start (pg_cron) are,
    /// when this machine has them, so the project's `CREATE EXTENSION` works as on its platform.
    pub fn start_for_projects() -> Result<Self, String> {
        let lib = find_bin_dir()?.join("../lib/pg_cron.so");
        if lib.exists() {
            Self::start_with(None, "-c shared_preload_libraries=pg_cron -c cron.database_name=pgvet_dev")
        } else {
            Self::start()
        }
    }

    /// [`start`](Self::start), also listening on 127.0.0.1:`tcp_port` when given (for tests of
    /// TCP, TLS and password authentication), with extra server options (`-c ssl=on ...`).
    pub fn start_with(tcp_port: Option<u16>, extra_options: &str) -> Result<Self, String> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let bin = find_bin_dir()?;
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let root = std::env::temp_dir().join(format!("pgvet-pg-{}-{n}-{nanos}", std::process::id()));
        let socket_dir = root.join("sock");
        std::fs::create_dir_all(&socket_dir).map_err(|e| format!("cannot create {}: {e}", socket_dir.display()))?;
        let as_postgres_user = is_root();
        if as_postgres_user {
            // initdb refuses to run as root: hand the directory to the postgres user.
            let st = Command::new("chown").args(["-R", "postgres:postgres"]).arg(&root).status().map_err(|e| e.to_string())?;
            if !st.success() {
                return Err("running as root, and `chown postgres` failed: is there a `postgres` user?".into());
            }
        }
        let pg = TempPostgres { root, bin, as_postgres_user, socket_dir, port: tcp_port.unwrap_or(5432) };
        RUNNING.lock().unwrap_or_else(|e| e.into_inner()).push((pg.root.clone(), pg.bin.clone(), pg.as_postgres_user));
        let data = pg.root.join("data");
        let data_arg = data.as_os_str();
        pg.run(
            "initdb",
            [
                OsStr::new("-D"),
                data_arg,
                "-A".as_ref(),
                "trust".as_ref(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "--no-sync".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--locale=C".as_ref(),
            ],
        )?;
        let opts = format!(
            "-c listen_addresses='{}' -k {} -p {} -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=20 {extra_options}",
            if tcp_port.is_some() { "127.0.0.1" } else { "" },
            shell_quote(&pg.socket_dir.display().to_string()),
            pg.port
        );
        let log = pg.root.join("server.log");
        pg.run(
            "pg_ctl",
            [OsStr::new("-D"), data_arg, "-l".as_ref(), log.as_os_str(), "-o".as_ref(), opts.as_ref(), "-w".as_ref(), "start".as_ref()],
        )
        .map_err(|e| format!("{e}\nserver log:\n{}", std::fs::read_to_string(&log).unwrap_or_default()))?;
        Ok(pg)
    }

    fn run<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(&self, prog: &str, args: I) -> Result<(), String> {
        let exe = self.bin.join(prog);
        let mut cmd = if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = cmd.args(args).output().map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!("{prog} failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
        }
    }

    pub fn config(&self, dbname: &str) -> postgres::Config {
        let mut c = postgres::Config::new();
        c.host_path(&self.socket_dir).port(self.port).user("postgres").dbname(dbname);
        c
    }

    pub fn connect(&self, dbname: &str) -> Result<postgres::Client, String> {
        self.config(dbname).connect(postgres::NoTls).map_err(|e| format!("cannot connect to the throwaway server: {e}"))
    }

    /// Creates a fresh, empty database and returns a connection to it.
    pub fn fresh_database(&self, name: &str) -> Result<postgres::Client, String> {
        let mut admin = self.connect("postgres")?;
        admin
            .batch_execute(&format!("CREATE DATABASE {} TEMPLATE template0", pgvet_syntax::quote_ident(name)))
            .map_err(|e| e.to_string())?;
        self.connect(name)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The data directory (pg_hba.conf is there).
    pub fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    /// Whether the server runs as the `postgres` user (this process is root): files it reads
    /// (a TLS key) must be that user's.
    pub fn runs_as_postgres_user(&self) -> bool {
        self.as_postgres_user
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        RUNNING.lock().unwrap_or_else(|e| e.into_inner()).retain(|(r, _, _)| *r != self.root);
        let data = self.root.join("data");
        let _ =
            self.run("pg_ctl", [OsStr::new("-D"), data.as_os_str(), "-m".as_ref(), "immediate".as_ref(), "-w".as_ref(), "stop".as_ref()]);
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
