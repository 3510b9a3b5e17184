//! Live mode: a read-only session on the user's database, and its schema read back as SQL that
//! pgvet replays like a `structure.sql` dump. Nothing here writes: every session starts with
//! `default_transaction_read_only`, a `statement_timeout`, a `lock_timeout` and an
//! `application_name`, set as startup options so that they hold from the first statement.
use std::fmt::Write as _;
use std::str::FromStr;
use std::time::Duration;

pub use pgvet_catalog::facts::{CheckViolations, InvalidIndex, Orphans, TableStats};
use pgvet_syntax::quote_ident;
use postgres::{Client, Config};

/// A read-only connection to a live database.
pub struct Live {
    pub client: Client,
    /// `user@host:port/dbname`, without the password: what pgvet prints.
    pub display: String,
}

/// The limits every live session runs with.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub statement_timeout: Duration,
    pub lock_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { statement_timeout: Duration::from_secs(10), lock_timeout: Duration::from_millis(500) }
    }
}

/// `user@host:port/dbname` of a connection string, never its password.
pub fn display(config: &Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            postgres::config::Host::Tcp(h) => h.clone(),
            #[cfg(unix)]
            postgres::config::Host::Unix(p) => p.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!("{}@{host}:{port}/{}", config.get_user().unwrap_or("?"), config.get_dbname().unwrap_or("?"))
}

/// libpq's `sslmode`s (tokio-postgres reads only disable, prefer and require).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(s: &str) -> Option<SslMode> {
        Some(match s {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }
}

/// The TLS options of a connection string taken out of it (tokio-postgres refuses what it does
/// not know): `sslmode` (default `prefer`, as libpq's) and `sslrootcert`. Both forms:
/// `postgres://...?sslmode=verify-full&sslrootcert=ca.pem` and `host=... sslmode=require`.
pub fn split_tls(url: &str) -> Result<(String, SslMode, Option<String>), String> {
    let mut mode = None;
    let mut root = None;
    let mut take = |k: &str, v: &str| -> Result<bool, String> {
        match k {
            "sslmode" => {
                mode = Some(
                    SslMode::parse(v)
                        .ok_or_else(|| format!("sslmode={v}: not one of disable, allow, prefer, require, verify-ca, verify-full"))?,
                )
            }
            "sslrootcert" => root = Some(v.to_string()),
            "sslcert" | "sslkey" => return Err(format!("{k}: client certificates are not supported; authenticate with a password")),
            _ => return Ok(false),
        }
        Ok(true)
    };
    let rest = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        match url.split_once('?') {
            Some((base, query)) => {
                let mut kept = Vec::new();
                for pair in query.split('&') {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    if !take(k, &percent_decode(v))? {
                        kept.push(pair);
                    }
                }
                if kept.is_empty() {
                    base.to_string()
                } else {
                    format!("{base}?{}", kept.join("&"))
                }
            }
            None => url.to_string(),
        }
    } else {
        let mut kept = Vec::new();
        for word in url.split_whitespace() {
            let (k, v) = word.split_once('=').unwrap_or((word, ""));
            if !take(k.trim(), v.trim().trim_matches('\''))? {
                kept.push(word);
            }
        }
        kept.join(" ")
    };
    Ok((rest, mode.unwrap_or(SslMode::Prefer), root))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

mod tls {
    //! Certificate checks for each sslmode, as libpq does them: `prefer` and `require` encrypt
    //! without checking the certificate, `verify-ca` checks it against the roots, `verify-full`
    //! also checks that it names the host.
    use std::sync::Arc;

    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::client::WebPkiServerVerifier;
    use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

    use super::SslMode;

    #[derive(Debug)]
    struct Unverified(Arc<CryptoProvider>);

    impl ServerCertVerifier for Unverified {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }
        fn verify_tls12_signature(
            &self,
            m: &[u8],
            c: &CertificateDer<'_>,
            d: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls12_signature(m, c, d, &self.0.signature_verification_algorithms)
        }
        fn verify_tls13_signature(
            &self,
            m: &[u8],
            c: &CertificateDer<'_>,
            d: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls13_signature(m, c, d, &self.0.signature_verification_algorithms)
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }

    /// The chain checked, the host name not (verify-ca).
    #[derive(Debug)]
    struct AnyName(Arc<WebPkiServerVerifier>);

    impl ServerCertVerifier for AnyName {
        fn verify_server_cert(
            &self,
            end: &CertificateDer<'_>,
            inter: &[CertificateDer<'_>],
            name: &ServerName<'_>,
            ocsp: &[u8],
            now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            match self.0.verify_server_cert(end, inter, name, ocsp, now) {
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
                )) => Ok(ServerCertVerified::assertion()),
                r => r,
            }
        }
        fn verify_tls12_signature(
            &self,
            m: &[u8],
            c: &CertificateDer<'_>,
            d: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            self.0.verify_tls12_signature(m, c, d)
        }
        fn verify_tls13_signature(
            &self,
            m: &[u8],
            c: &CertificateDer<'_>,
            d: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            self.0.verify_tls13_signature(m, c, d)
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.supported_verify_schemes()
        }
    }

    /// The TLS configuration for `mode`; `root` is a PEM file of trusted certificates
    /// (`sslrootcert`; default: the Mozilla roots).
    pub fn config(mode: SslMode, root: Option<&str>) -> Result<ClientConfig, String> {
        // ring rather than aws-lc-rs (no C toolchain beyond a compiler, a faster build); its
        // provider lacks post-quantum key exchange, which nothing here needs.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder =
            ClientConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions().map_err(|e| e.to_string())?;
        let config = match mode {
            SslMode::VerifyCa | SslMode::VerifyFull => {
                let mut roots = RootCertStore::empty();
                match root {
                    Some(path) => {
                        let certs = CertificateDer::pem_file_iter(path).map_err(|e| format!("sslrootcert={path}: {e}"))?;
                        for c in certs {
                            roots
                                .add(c.map_err(|e| format!("sslrootcert={path}: {e}"))?)
                                .map_err(|e| format!("sslrootcert={path}: {e}"))?;
                        }
                    }
                    None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
                }
                let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider).build().map_err(|e| e.to_string())?;
                if mode == SslMode::VerifyFull {
                    builder.with_webpki_verifier(verifier).with_no_client_auth()
                } else {
                    builder.dangerous().with_custom_certificate_verifier(Arc::new(AnyName(verifier))).with_no_client_auth()
                }
            }
            _ => builder.dangerous().with_custom_certificate_verifier(Arc::new(Unverified(provider))).with_no_client_auth(),
        };
        Ok(config)
    }
}

/// How long a connection may take, handshake included, when the URL sets no `connect_timeout`.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What a server's refusal means, for the message.
fn refusal_hint(code: &str) -> &'static str {
    match code {
        "28P01" => ": check the password (in the URL, or PGPASSWORD)",
        "3D000" => ": check the database name at the end of the URL",
        "28000" => ": the server does not accept this role from here (does the role exist? pg_hba.conf?)",
        "53300" => ": the server has no free connection slots",
        "57P03" => ": the server is starting up or shutting down",
        _ => "",
    }
}

/// A connection error as pgvet prints it: the server's message and SQLSTATE when it answered.
pub fn connect_error(display: &str, e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => format!("{display}: cannot connect: {} (SQLSTATE {}){}", d.message(), d.code().code(), refusal_hint(d.code().code())),
        None => format!("{display}: cannot connect: {}", crate::replay::db_message(e)),
    }
}

/// Connects read-only. Errors name the database without its password and say what to check.
/// TLS as `sslmode` says (rustls); the whole connection, TLS and authentication included, must
/// finish within `connect_timeout` (the URL's, else [`CONNECT_TIMEOUT`]): a server that accepts
/// the connection and never answers is an error, not a hang.
pub fn connect(url: &str, limits: Limits) -> Result<Live, String> {
    let (url, ssl, root) = split_tls(url).map_err(|e| format!("--database-url: {e}"))?;
    let mut config = Config::from_str(&url).map_err(|e| {
        format!("--database-url is not a connection string pgvet can read ({e}); expected postgres://user:password@host:5432/dbname")
    })?;
    let display = display(&config);
    config.ssl_mode(match ssl {
        SslMode::Disable => postgres::config::SslMode::Disable,
        SslMode::Allow | SslMode::Prefer => postgres::config::SslMode::Prefer,
        _ => postgres::config::SslMode::Require,
    });
    let options = format!(
        "-c default_transaction_read_only=on -c statement_timeout={} -c lock_timeout={} -c idle_in_transaction_session_timeout=60000",
        limits.statement_timeout.as_millis(),
        limits.lock_timeout.as_millis()
    );
    let timeout = config.get_connect_timeout().copied().unwrap_or(CONNECT_TIMEOUT);
    config
        .options(&options)
        .application_name("pgvet (read-only)")
        .connect_timeout(timeout)
        // A peer that stops answering mid-session is noticed by TCP, not waited for forever.
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(15))
        .tcp_user_timeout(limits.statement_timeout + Duration::from_secs(20));
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls::config(ssl, root.as_deref()).map_err(|e| format!("{display}: TLS: {e}"))?);
    // The handshake on its own thread, so that a silent server cannot hold pgvet past the limit.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(config.connect(tls));
    });
    let mut client = match rx.recv_timeout(timeout) {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => return Err(connect_error(&display, &e)),
        Err(_) => {
            return Err(format!(
                "{display}: cannot connect: no answer within {}s (the server accepted the connection but did not reply: is it PostgreSQL, reachable without a proxy that waits?); `connect_timeout=N` in the URL sets the limit",
                timeout.as_secs_f64()
            ))
        }
    };
    // Belt and braces: a pooler may drop startup options.
    client
        .batch_execute(&format!(
            "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY; SET statement_timeout = {}; SET lock_timeout = {}",
            limits.statement_timeout.as_millis(),
            limits.lock_timeout.as_millis()
        ))
        .map_err(|e| format!("{display}: cannot make the session read-only: {e}"))?;
    Ok(Live { client, display })
}

/// The tables whose rows row-level security filters for the connected role (`schema.name`):
/// RLS is on, and the role is not their owner (or the table forces RLS), not a superuser and has
/// no BYPASSRLS, as the server's `row_security_active` decides. Counts over them see only what
/// the policies let the role see.
pub fn rls_restricted(client: &mut Client) -> Result<Vec<String>, postgres::Error> {
    let q = format!(
        "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND c.relrowsecurity AND {USER_SCHEMA} AND row_security_active(c.oid) ORDER BY 1"
    );
    Ok(client.query(&q, &[])?.iter().map(|r| r.get(0)).collect())
}

/// Why a count over `table` was not run: row-level security hides rows of it from the role.
fn hidden_by_rls(client: &mut Client, table: &str) -> String {
    let role: String = client.query_one("SELECT current_user::text", &[]).map(|r| r.get(0)).unwrap_or_else(|_| "this role".into());
    format!(
        "row-level security hides rows of {table} from {role} (not its owner, no BYPASSRLS), so a count would be wrong; connect as the table's owner or a role with BYPASSRLS to run it"
    )
}

const USER_SCHEMA: &str =
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'";

/// The condition on `n.nspname` for the schemas read: the user's, except `skip` (a platform's
/// own schemas, which pgvet already knows).
fn user_schemas(skip: &[&str]) -> String {
    let mut c = USER_SCHEMA.to_string();
    for s in skip {
        if let Some(prefix) = s.strip_suffix('*') {
            let _ = write!(c, " AND n.nspname NOT LIKE {}", literal(&format!("{prefix}%")));
        } else {
            let _ = write!(c, " AND n.nspname <> {}", literal(s));
        }
    }
    c
}

/// Objects an extension owns are created by `CREATE EXTENSION`, not listed one by one.
fn not_extension(classid: &str, oid: &str) -> String {
    format!("NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '{classid}'::regclass AND d.objid = {oid} AND d.deptype = 'e')")
}

fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(name))
}

fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The database's schema as SQL (schemas in `skip_schemas` left out; `name*` for a prefix), in
/// an order that replays: schemas, extensions, types,
/// sequences, tables (partitions after their parents), constraints (foreign keys last), indexes,
/// functions, views, triggers, row-level security and policies, table grants. Only valid indexes:
/// an INVALID one (a failed concurrent build) enforces nothing and is no ON CONFLICT arbiter.
pub fn schema_sql(client: &mut Client, skip_schemas: &[&str]) -> Result<String, postgres::Error> {
    let us = user_schemas(skip_schemas);
    let mut out = String::from("-- read from a live database by pgvet (read-only)\nSET check_function_bodies = false;\n");
    for r in client.query(
        &format!(
            "SELECT n.nspname::text FROM pg_namespace n WHERE {us} AND n.nspname <> 'public' AND {} ORDER BY 1",
            not_extension("pg_namespace", "n.oid")
        ),
        &[],
    )? {
        let _ = writeln!(out, "CREATE SCHEMA IF NOT EXISTS {};", quote_ident(r.get(0)));
    }
    for r in client.query("SELECT e.extname::text, n.nspname::text FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql' ORDER BY e.oid", &[])? {
        let _ = writeln!(out, "CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {};", quote_ident(r.get(0)), quote_ident(r.get(1)));
    }
    let enums = format!(
        "SELECT n.nspname::text, t.typname::text, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) \
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid \
         WHERE {us} AND {} GROUP BY 1, 2, t.oid ORDER BY t.oid",
        not_extension("pg_type", "t.oid")
    );
    for r in client.query(&enums, &[])? {
        let labels: Vec<String> = r.get(2);
        let labels: Vec<String> = labels.iter().map(|l| literal(l)).collect();
        let _ = writeln!(out, "CREATE TYPE {} AS ENUM ({});", qualified(r.get(0), r.get(1)), labels.join(", "));
    }
    let domains = format!(
        "SELECT n.nspname::text, t.typname::text, format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault, \
           ARRAY(SELECT 'CONSTRAINT ' || quote_ident(c.conname) || ' ' || pg_get_constraintdef(c.oid) FROM pg_constraint c WHERE c.contypid = t.oid ORDER BY c.oid) \
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype = 'd' AND {us} AND {} ORDER BY t.oid",
        not_extension("pg_type", "t.oid")
    );
    for r in client.query(&domains, &[])? {
        let mut d = format!("CREATE DOMAIN {} AS {}", qualified(r.get(0), r.get(1)), r.get::<_, String>(2));
        if let Some(default) = r.get::<_, Option<String>>(4) {
            let _ = write!(d, " DEFAULT {default}");
        }
        if r.get::<_, bool>(3) {
            d.push_str(" NOT NULL");
        }
        for c in r.get::<_, Vec<String>>(5) {
            let _ = write!(d, " {c}");
        }
        let _ = writeln!(out, "{d};");
    }
    let composites = format!(
        "SELECT n.nspname::text, t.typname::text, \
           ARRAY(SELECT quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod) FROM pg_attribute a \
                 WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) \
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_class c ON c.oid = t.typrelid \
         WHERE t.typtype = 'c' AND c.relkind = 'c' AND {us} AND {} ORDER BY t.oid",
        not_extension("pg_type", "t.oid")
    );
    let ranges = format!(
        "SELECT n.nspname::text, t.typname::text, format_type(r.rngsubtype, NULL) \
         FROM pg_range r JOIN pg_type t ON t.oid = r.rngtypid JOIN pg_namespace n ON n.oid = t.typnamespace \
         WHERE {us} AND {} ORDER BY t.oid",
        not_extension("pg_type", "t.oid")
    );
    for r in client.query(&ranges, &[])? {
        let _ = writeln!(out, "CREATE TYPE {} AS RANGE (subtype = {});", qualified(r.get(0), r.get(1)), r.get::<_, String>(2));
    }
    for r in client.query(&composites, &[])? {
        let _ = writeln!(out, "CREATE TYPE {} AS ({});", qualified(r.get(0), r.get(1)), r.get::<_, Vec<String>>(2).join(", "));
    }
    // Sequences, except those an identity column owns (the column creates them).
    let seqs = format!(
        "SELECT n.nspname::text, c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind = 'S' AND {us} AND {} \
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'i') ORDER BY c.oid",
        not_extension("pg_class", "c.oid")
    );
    for r in client.query(&seqs, &[])? {
        let _ = writeln!(out, "CREATE SEQUENCE IF NOT EXISTS {};", qualified(r.get(0), r.get(1)));
    }
    // Functions before the tables whose defaults and CHECKs may call them, except those whose
    // signature names a table's row type (they follow the tables). Bodies are not checked.
    let functions = |table_types: bool| {
        format!(
            "SELECT pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
             WHERE p.prokind IN ('f', 'p') AND {us} AND {} \
               AND {} EXISTS (SELECT 1 FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]) || p.prorettype) a(t) \
                         JOIN pg_type ty ON ty.oid = a.t OR ty.typarray = a.t JOIN pg_class rc ON rc.oid = ty.typrelid WHERE rc.relkind <> 'c') \
             ORDER BY p.oid",
            not_extension("pg_proc", "p.oid"),
            if table_types { "" } else { "NOT" }
        )
    };
    for r in client.query(&functions(false), &[])? {
        let _ = writeln!(out, "{};", r.get::<_, String>(0).trim_end());
    }
    tables(client, &mut out, &us)?;
    for r in client.query(&functions(true), &[])? {
        let _ = writeln!(out, "{};", r.get::<_, String>(0).trim_end());
    }
    let constraints = format!(
        "SELECT n.nspname::text, c.relname::text, con.conname::text, pg_get_constraintdef(con.oid), c.relkind = 'p' \
         FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE con.contype IN ('p', 'u', 'x', 'c', 'f') AND con.conparentid = 0 AND con.coninhcount = 0 AND {us} AND {} \
         ORDER BY con.contype = 'f', con.oid",
        not_extension("pg_class", "c.oid")
    );
    for r in client.query(&constraints, &[])? {
        // On a partitioned table the constraint reaches its partitions (ONLY is refused).
        let only = if r.get::<_, bool>(4) { "" } else { "ONLY " };
        let _ = writeln!(
            out,
            "ALTER TABLE {only}{} ADD CONSTRAINT {} {};",
            qualified(r.get(0), r.get(1)),
            quote_ident(r.get(2)),
            r.get::<_, String>(3)
        );
    }
    let views = format!(
        "SELECT n.nspname::text, c.relname::text, c.relkind::text, pg_get_viewdef(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('v', 'm') AND {us} AND {} ORDER BY c.oid",
        not_extension("pg_class", "c.oid")
    );
    for r in client.query(&views, &[])? {
        let def = r.get::<_, String>(3);
        let def = def.trim().trim_end_matches(';');
        let name = qualified(r.get(0), r.get(1));
        if r.get::<_, String>(2) == "m" {
            let _ = writeln!(out, "CREATE MATERIALIZED VIEW {name} AS {def} WITH NO DATA;");
        } else {
            let _ = writeln!(out, "CREATE VIEW {name} AS {def};");
        }
    }
    let indexes = format!(
        "SELECT pg_get_indexdef(i.indexrelid), \
           (SELECT quote_ident(pn.nspname) || '.' || quote_ident(p.relname) FROM pg_inherits h JOIN pg_class p ON p.oid = h.inhparent \
              JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE h.inhrelid = i.indexrelid), \
           quote_ident(n.nspname) || '.' || quote_ident((SELECT relname FROM pg_class WHERE oid = i.indexrelid)) \
         FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE i.indisvalid AND {us} AND {} \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x')) \
           ORDER BY i.indexrelid",
        not_extension("pg_class", "c.oid")
    );
    // A partitioned table's index is created ON ONLY it, each partition's on its own, then
    // attached (as pg_dump does), so that every index keeps its name.
    let mut attach = Vec::new();
    for r in client.query(&indexes, &[])? {
        let _ = writeln!(out, "{};", r.get::<_, String>(0));
        if let Some(parent) = r.get::<_, Option<String>>(1) {
            attach.push(format!("ALTER INDEX {parent} ATTACH PARTITION {};", r.get::<_, String>(2)));
        }
    }
    for a in attach {
        let _ = writeln!(out, "{a}");
    }
    let triggers = format!(
        "SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND {us} ORDER BY t.oid"
    );
    for r in client.query(&triggers, &[])? {
        let _ = writeln!(out, "{};", r.get::<_, String>(0));
    }
    let rls = format!(
        "SELECT n.nspname::text, c.relname::text, c.relforcerowsecurity FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relrowsecurity AND {us} ORDER BY c.oid"
    );
    for r in client.query(&rls, &[])? {
        let name = qualified(r.get(0), r.get(1));
        let _ = writeln!(out, "ALTER TABLE {name} ENABLE ROW LEVEL SECURITY;");
        if r.get::<_, bool>(2) {
            let _ = writeln!(out, "ALTER TABLE {name} FORCE ROW LEVEL SECURITY;");
        }
    }
    let policies = format!(
        "SELECT n.nspname::text, c.relname::text, p.polname::text, p.polpermissive, p.polcmd::text, \
           ARRAY(SELECT CASE WHEN r = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r)) END FROM unnest(p.polroles) r), \
           pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid) \
         FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {us} ORDER BY p.oid"
    );
    for r in client.query(&policies, &[])? {
        let cmd = match r.get::<_, String>(4).as_str() {
            "r" => "SELECT",
            "a" => "INSERT",
            "w" => "UPDATE",
            "d" => "DELETE",
            _ => "ALL",
        };
        let mut p = format!(
            "CREATE POLICY {} ON {} AS {} FOR {cmd} TO {}",
            quote_ident(r.get(2)),
            qualified(r.get(0), r.get(1)),
            if r.get::<_, bool>(3) { "PERMISSIVE" } else { "RESTRICTIVE" },
            r.get::<_, Vec<String>>(5).join(", ")
        );
        if let Some(q) = r.get::<_, Option<String>>(6) {
            let _ = write!(p, " USING ({q})");
        }
        if let Some(c) = r.get::<_, Option<String>>(7) {
            let _ = write!(p, " WITH CHECK ({c})");
        }
        let _ = writeln!(out, "{p};");
    }
    let grants = format!(
        "SELECT n.nspname::text, c.relname::text, quote_ident(pg_get_userbyid(a.grantee)), a.privilege_type \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a \
         WHERE c.relkind IN ('r', 'p', 'v', 'm') AND a.grantee <> c.relowner AND a.grantee <> 0 AND {us} ORDER BY c.oid, 3, 4"
    );
    for r in client.query(&grants, &[])? {
        let _ = writeln!(out, "GRANT {} ON {} TO {};", r.get::<_, String>(3), qualified(r.get(0), r.get(1)), r.get::<_, String>(2));
    }
    Ok(out)
}

/// `CREATE TABLE` for every table, parents before their partitions.
fn tables(client: &mut Client, out: &mut String, us: &str) -> Result<(), postgres::Error> {
    let q = format!(
        "SELECT c.oid, n.nspname::text, c.relname::text, c.relkind::text, c.relpersistence::text, \
           CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END, \
           (SELECT pn.nspname || '.' || p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent \
              JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid AND c.relispartition), \
           CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END, \
           (SELECT quote_ident(pn.nspname) || '.' || quote_ident(p.relname) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent \
              JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid AND c.relispartition) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND {us} AND {} ORDER BY c.oid",
        not_extension("pg_class", "c.oid")
    );
    let rows = client.query(&q, &[])?;
    let cols = client.query(
        "SELECT a.attrelid, a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity::text, a.attgenerated::text, \
           (SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum), a.attislocal \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attrelid, a.attnum",
        &[],
    )?;
    let mut by_table: std::collections::HashMap<u32, Vec<String>> = std::collections::HashMap::new();
    let mut defaults: std::collections::HashMap<u32, Vec<(String, String)>> = std::collections::HashMap::new();
    for r in &cols {
        if let (Some(d), "") = (r.get::<_, Option<String>>(6), r.get::<_, String>(5).as_str()) {
            defaults.entry(r.get(0)).or_default().push((quote_ident(r.get(1)), d));
        }
        let mut c = format!("{} {}", quote_ident(r.get(1)), r.get::<_, String>(2));
        match (r.get::<_, String>(4).as_str(), r.get::<_, String>(5).as_str(), r.get::<_, Option<String>>(6)) {
            ("a", _, _) => c.push_str(" GENERATED ALWAYS AS IDENTITY"),
            ("d", _, _) => c.push_str(" GENERATED BY DEFAULT AS IDENTITY"),
            (_, "s", Some(e)) => {
                let _ = write!(c, " GENERATED ALWAYS AS ({e}) STORED");
            }
            (_, _, Some(d)) => {
                let _ = write!(c, " DEFAULT {d}");
            }
            _ => {}
        }
        if r.get::<_, bool>(3) {
            c.push_str(" NOT NULL");
        }
        by_table.entry(r.get(0)).or_default().push(c);
    }
    // Parents first: a partition waits until its parent is written.
    let mut written: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut pending: Vec<&postgres::Row> = rows.iter().collect();
    while !pending.is_empty() {
        let before = pending.len();
        pending.retain(|r| {
            let parent: Option<String> = r.get(6);
            if parent.as_ref().is_some_and(|p| !written.contains(p)) {
                return true;
            }
            let oid: u32 = r.get(0);
            let (schema, name): (&str, &str) = (r.get(1), r.get(2));
            let unlogged = if r.get::<_, String>(4) == "u" { "UNLOGGED " } else { "" };
            let _ = match (r.get::<_, Option<String>>(8), r.get::<_, Option<String>>(7)) {
                (Some(parent), Some(bound)) => writeln!(out, "CREATE TABLE {} PARTITION OF {parent} {bound}", qualified(schema, name)),
                _ => writeln!(
                    out,
                    "CREATE {unlogged}TABLE {} (\n  {}\n)",
                    qualified(schema, name),
                    by_table.get(&oid).map(|c| c.join(",\n  ")).unwrap_or_default()
                ),
            };
            if let Some(key) = r.get::<_, Option<String>>(5) {
                let _ = writeln!(out, "PARTITION BY {key}");
            }
            out.push_str(";\n");
            // A partition's own defaults (it starts with its parent's).
            if r.get::<_, Option<String>>(8).is_some() {
                for (col, default) in defaults.get(&oid).into_iter().flatten() {
                    let _ = writeln!(out, "ALTER TABLE ONLY {} ALTER COLUMN {col} SET DEFAULT {default};", qualified(schema, name));
                }
            }
            written.insert(format!("{schema}.{name}"));
            false
        });
        if pending.len() == before {
            break;
        }
    }
    Ok(())
}

/// The INVALID indexes (failed concurrent builds), and for a unique one the duplicates behind it.
pub fn invalid_indexes(client: &mut Client) -> Result<Vec<InvalidIndex>, postgres::Error> {
    let q = format!(
        "SELECT n.nspname || '.' || c.relname, n.nspname || '.' || ic.relname, i.indisunique, pg_get_indexdef(i.indexrelid), \
           quote_ident(n.nspname) || '.' || quote_ident(c.relname), \
           ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) k), \
           pg_get_expr(i.indpred, i.indrelid), i.indnullsnotdistinct \
         FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE NOT i.indisvalid AND c.relkind = 'r' AND {USER_SCHEMA} ORDER BY 1, 2"
    );
    let mut out = Vec::new();
    let hidden = rls_restricted(client)?;
    for r in client.query(&q, &[])? {
        let unique: bool = r.get(2);
        let keys: Vec<String> = r.get(5);
        let (mut duplicate_groups, mut duplicate_examples) = (None, Vec::new());
        // Rows row-level security hides would be missing from the duplicates: not counted.
        if unique && !keys.is_empty() && !hidden.contains(&r.get::<_, String>(0)) {
            // Rows whose keys are all set (NULLs are distinct unless NULLS NOT DISTINCT).
            let keys_sql: Vec<String> = keys.iter().map(|k| format!("({k})")).collect();
            let mut conds: Vec<String> =
                if r.get::<_, bool>(7) { Vec::new() } else { keys_sql.iter().map(|k| format!("{k} IS NOT NULL")).collect() };
            if let Some(p) = r.get::<_, Option<String>>(6) {
                conds.push(format!("({p})"));
            }
            let filter = if conds.is_empty() { String::new() } else { format!("WHERE {}", conds.join(" AND ")) };
            let sql = format!(
                "SELECT count(*), (array_agg(k))[1:3] FROM (SELECT ROW({})::text AS k FROM {} {filter} GROUP BY {} HAVING count(*) > 1) d",
                keys_sql.join(", "),
                r.get::<_, String>(4),
                keys_sql.join(", ")
            );
            // Left unknown when the count fails (the index itself is still reported).
            (duplicate_groups, duplicate_examples, _) = count_and_examples(client, &sql);
        }
        out.push(InvalidIndex { table: r.get(0), index: r.get(1), unique, definition: r.get(3), duplicate_groups, duplicate_examples });
    }
    Ok(out)
}

/// For every NOT VALID foreign key: the rows whose key (all columns set, as MATCH SIMPLE checks)
/// has no parent row. Each count runs under the session's statement_timeout.
pub fn not_valid_fk_orphans(client: &mut Client) -> Result<Vec<Orphans>, postgres::Error> {
    let q = format!(
        "SELECT n.nspname::text, c.relname::text, con.conname::text, pn.nspname::text, p.relname::text, \
           ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o), \
           ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o) \
         FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
           JOIN pg_class p ON p.oid = con.confrelid JOIN pg_namespace pn ON pn.oid = p.relnamespace \
         WHERE con.contype = 'f' AND NOT con.convalidated AND {USER_SCHEMA} ORDER BY 1, 2, 3"
    );
    let fks = client.query(&q, &[])?;
    let hidden = rls_restricted(client)?;
    let mut out = Vec::new();
    for r in fks {
        let (schema, table, name, pschema, parent): (String, String, String, String, String) =
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
        let cols: Vec<String> = r.get(5);
        let pcols: Vec<String> = r.get(6);
        let set = cols.iter().map(|c| format!("c.{} IS NOT NULL", quote_ident(c))).collect::<Vec<_>>().join(" AND ");
        let join =
            cols.iter().zip(&pcols).map(|(c, p)| format!("p.{} = c.{}", quote_ident(p), quote_ident(c))).collect::<Vec<_>>().join(" AND ");
        let key = format!("ROW({})::text", cols.iter().map(|c| format!("c.{}", quote_ident(c))).collect::<Vec<_>>().join(", "));
        let sql = format!(
            "SELECT count(*), (array_agg({key}))[1:3] FROM {} c WHERE {set} AND NOT EXISTS (SELECT 1 FROM {} p WHERE {join})",
            qualified(&schema, &table),
            qualified(&pschema, &parent)
        );
        let (count, examples, error) =
            counted_unless_hidden(client, &sql, &hidden, &[format!("{schema}.{table}"), format!("{pschema}.{parent}")]);
        out.push(Orphans {
            table: format!("{schema}.{table}"),
            constraint: name,
            references: format!("{pschema}.{parent}"),
            columns: cols,
            inferred: false,
            count,
            examples,
            error,
        });
    }
    Ok(out)
}

/// Runs a data check, `SELECT count(*)[, (array_agg(...))[1:n]] ...`: the count and the examples,
/// or the server's message (a statement_timeout on a huge table is said, not fatal).
fn count_and_examples(client: &mut Client, sql: &str) -> (Option<i64>, Vec<String>, Option<String>) {
    match client.query_one(sql, &[]) {
        Ok(row) => {
            let examples = if row.len() > 1 { row.get::<_, Option<Vec<String>>>(1).unwrap_or_default() } else { Vec::new() };
            (Some(row.get::<_, i64>(0)), examples, None)
        }
        Err(e) => (None, Vec::new(), Some(crate::replay::db_message(&e))),
    }
}

/// [`count_and_examples`], unless row-level security hides rows of one of `tables` from the
/// role: then not run, and the error says why and what to connect as.
fn counted_unless_hidden(
    client: &mut Client,
    sql: &str,
    hidden: &[String],
    tables: &[String],
) -> (Option<i64>, Vec<String>, Option<String>) {
    match tables.iter().find(|t| hidden.contains(t)) {
        Some(t) => (None, Vec::new(), Some(hidden_by_rls(client, t))),
        None => count_and_examples(client, sql),
    }
}

/// Every table's size and sequential scans.
pub fn table_stats(client: &mut Client) -> Result<Vec<TableStats>, postgres::Error> {
    let q = format!(
        "SELECT n.nspname || '.' || c.relname, c.reltuples::float8, COALESCE(s.seq_scan, 0), pg_total_relation_size(c.oid) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid \
         WHERE c.relkind IN ('r', 'p') AND {USER_SCHEMA}"
    );
    Ok(client
        .query(&q, &[])?
        .iter()
        .map(|r| TableStats { table: r.get(0), rows: r.get(1), seq_scans: r.get(2), bytes: r.get(3) })
        .collect())
}

/// For every `<name>_id` column without a foreign key whose name points at exactly one table
/// (`<name>`, `<name>s`, `<name>es`, `<nam>ies`) with a single-column primary key `id` of the same
/// type: the rows whose value has no row there. Each count runs under the statement_timeout.
pub fn inferred_orphans(client: &mut Client) -> Result<Vec<Orphans>, postgres::Error> {
    let q = format!(
        "WITH cols AS (
           SELECT n.nspname::text AS schema, c.relname::text AS tbl, a.attname::text AS col, a.atttypid, c.oid AS relid, a.attnum,
                  left(a.attname, length(a.attname) - 3) AS stem
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND a.attname LIKE '%\\_id' AND length(a.attname) > 3
             AND NOT c.relispartition AND {USER_SCHEMA}
             AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.conrelid = c.oid AND f.contype = 'f' AND a.attnum = ANY (f.conkey))
         ), parents AS (
           SELECT cols.*, p.relname::text AS parent
           FROM cols JOIN pg_class p ON p.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = cols.schema) AND p.relkind IN ('r', 'p')
             AND p.relname IN (stem, stem || 's', stem || 'es', left(stem, length(stem) - 1) || 'ies') AND p.oid <> cols.relid
           JOIN pg_constraint pk ON pk.conrelid = p.oid AND pk.contype = 'p' AND array_length(pk.conkey, 1) = 1
           JOIN pg_attribute pa ON pa.attrelid = p.oid AND pa.attnum = pk.conkey[1] AND pa.attname = 'id' AND pa.atttypid = cols.atttypid
         )
         SELECT schema, tbl, col, parent FROM parents p1
         WHERE (SELECT count(*) FROM parents p2 WHERE p2.relid = p1.relid AND p2.attnum = p1.attnum) = 1
         ORDER BY 1, 2, 3"
    );
    let rows = client.query(&q, &[])?;
    let hidden = rls_restricted(client)?;
    let mut out = Vec::new();
    for r in rows {
        let (schema, table, col, parent): (String, String, String, String) = (r.get(0), r.get(1), r.get(2), r.get(3));
        let c = quote_ident(&col);
        let sql = format!(
            "SELECT count(*), (array_agg(c.{c}::text))[1:3] FROM {} c WHERE c.{c} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {} p WHERE p.id = c.{c})",
            qualified(&schema, &table),
            qualified(&schema, &parent)
        );
        let (count, examples, error) =
            counted_unless_hidden(client, &sql, &hidden, &[format!("{schema}.{table}"), format!("{schema}.{parent}")]);
        out.push(Orphans {
            table: format!("{schema}.{table}"),
            constraint: String::new(),
            references: format!("{schema}.{parent}"),
            columns: vec![col],
            inferred: true,
            count,
            examples,
            error,
        });
    }
    Ok(out)
}

/// The rows each NOT VALID CHECK constraint does not hold for (the lock-friendly `CHECK (c IS
/// NOT NULL) NOT VALID` before SET NOT NULL included): what VALIDATE would fail on.
pub fn not_valid_check_violations(client: &mut Client) -> Result<Vec<CheckViolations>, postgres::Error> {
    let q = format!(
        "SELECT n.nspname::text, c.relname::text, con.conname::text, pg_get_expr(con.conbin, con.conrelid) \
         FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE con.contype = 'c' AND NOT con.convalidated AND {USER_SCHEMA} ORDER BY 1, 2, 3"
    );
    let mut out = Vec::new();
    let hidden = rls_restricted(client)?;
    for r in client.query(&q, &[])? {
        let (schema, table, name, expr): (String, String, String, String) = (r.get(0), r.get(1), r.get(2), r.get(3));
        // A CHECK passes when its expression is true or NULL.
        let sql = format!("SELECT count(*) FROM {} WHERE NOT ({expr})", qualified(&schema, &table));
        let (count, _, error) = counted_unless_hidden(client, &sql, &hidden, &[format!("{schema}.{table}")]);
        out.push(CheckViolations { table: format!("{schema}.{table}"), constraint: name, expression: expr, count, error });
    }
    Ok(out)
}
