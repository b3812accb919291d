//! Database connections and migrations. Each service has a database of its
//! own; no service reads another's tables.

use std::{str::FromStr, time::Duration};

use anyhow::Context;
use sqlx::{
    Connection, PgPool,
    migrate::Migrator,
    postgres::{PgConnectOptions, PgConnection, PgPoolOptions},
};

pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    let options = PgConnectOptions::from_str(url).context("invalid database url")?;
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .context("connecting to the database")
}

/// Creates the database named in `url` when it does not exist yet.
pub async fn ensure_database(url: &str) -> anyhow::Result<()> {
    let options = PgConnectOptions::from_str(url).context("invalid database url")?;
    let name = options.get_database().unwrap_or("postgres").to_string();
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        anyhow::bail!("database name {name:?} must be letters, digits, '_' or '-'");
    }
    let mut conn =
        PgConnection::connect_with(&options.clone().database("postgres")).await.context("connecting to the server")?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(&name)
        .fetch_one(&mut conn)
        .await?;
    if !exists {
        match sqlx::query(&format!("CREATE DATABASE \"{name}\"")).execute(&mut conn).await {
            Ok(_) => {}
            // Created concurrently by another process.
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P04") || e.is_unique_violation() => {}
            Err(e) => return Err(e).context(format!("creating database {name}")),
        }
    }
    Ok(())
}

/// The platform's own tables (versions 0100–0999): the page-token key.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Runs the event pipeline's migrations, the platform's and then the
/// service's own. All record themselves in the same `_sqlx_migrations`
/// table (their versions do not overlap), so each must tolerate the others'
/// rows.
pub async fn migrate(pool: &PgPool, service: &'static Migrator) -> anyhow::Result<()> {
    tolerant(&dualnet_events::MIGRATOR).run(pool).await.context("running pipeline migrations")?;
    tolerant(&MIGRATOR).run(pool).await.context("running platform migrations")?;
    tolerant(service).run(pool).await.context("running service migrations")?;
    Ok(())
}

fn tolerant(m: &'static Migrator) -> Migrator {
    // sqlx exposes no setter on a `static` migrator; its fields are public
    // for `migrate!` (sqlx 0.8, pinned in Cargo.lock).
    Migrator { migrations: m.migrations.clone(), ignore_missing: true, locking: m.locking, no_tx: m.no_tx }
}

/// Gives `role` a database of its own on the server `admin_url` (a
/// superuser's URL) administers: the role signs in with `password` (set
/// anew each time), is no superuser and may create no databases or roles;
/// the database is the administrator's, and the role may connect and create
/// its tables in the public schema — so it owns its tables but not the
/// schema, and cannot drop what it does not own (the audit tables, see
/// [`lock_audit_tables`]). Objects an earlier superuser-run left behind are
/// handed to the role.
pub async fn provision(admin_url: &str, database: &str, role: &str, password: &str) -> anyhow::Result<()> {
    let name_ok = |n: &str| n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !name_ok(database) || !name_ok(role) || !password.chars().all(|c| c.is_ascii_alphanumeric()) {
        anyhow::bail!("role, database and password must be letters, digits and '_'");
    }
    let options = PgConnectOptions::from_str(admin_url).context("invalid database url")?;
    let mut conn = PgConnection::connect_with(&options.clone().database("postgres")).await.context("connecting")?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
        .bind(role)
        .fetch_one(&mut conn)
        .await?;
    let verb = if exists { "ALTER" } else { "CREATE" };
    sqlx::query(&format!(
        "{verb} ROLE \"{role}\" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD '{password}'"
    ))
    .execute(&mut conn)
    .await
    .with_context(|| format!("role {role}"))?;
    ensure_database(&with_database(admin_url, database)).await?;
    for statement in [
        format!("REVOKE ALL ON DATABASE \"{database}\" FROM PUBLIC"),
        format!("GRANT CONNECT, TEMPORARY ON DATABASE \"{database}\" TO \"{role}\""),
    ] {
        sqlx::query(&statement).execute(&mut conn).await?;
    }
    let mut db = PgConnection::connect_with(&options.database(database)).await.context("connecting")?;
    sqlx::query(&format!("GRANT USAGE, CREATE ON SCHEMA public TO \"{role}\"")).execute(&mut db).await?;
    // A database first used by the superuser (before roles of their own):
    // its tables, sequences, views and functions go to the role.
    sqlx::query(&format!(
        "DO $$ DECLARE o record; BEGIN
           FOR o IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
                       AND pg_get_userbyid(c.relowner) = 'postgres' AND c.relname <> 'personal_data_reads' LOOP
             EXECUTE format('ALTER TABLE %I OWNER TO \"{role}\"', o.relname);
           END LOOP;
           FOR o IN SELECT p.oid::regprocedure AS f FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                     WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) = 'postgres'
                       AND p.proname <> 'personal_data_reads_are_append_only' LOOP
             EXECUTE format('ALTER FUNCTION %s OWNER TO \"{role}\"', o.f);
           END LOOP;
         END $$"
    ))
    .execute(&mut db)
    .await
    .context("handing a superuser's objects to the role")?;
    Ok(())
}

/// Takes the append-only audit table (`personal_data_reads`) and its
/// trigger function away from `role` once its migrations have run: the
/// administrator owns them, the role may only read and append. So the
/// service cannot disable the trigger, rewrite the function or drop the
/// table, whatever SQL it is made to run.
pub async fn lock_audit_tables(admin_url: &str, role: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect_with(&PgConnectOptions::from_str(admin_url)?).await.context("connecting")?;
    let present: bool =
        sqlx::query_scalar("SELECT to_regclass('public.personal_data_reads') IS NOT NULL").fetch_one(&mut conn).await?;
    if !present {
        return Ok(());
    }
    for statement in [
        "ALTER TABLE personal_data_reads OWNER TO postgres".to_string(),
        "ALTER FUNCTION personal_data_reads_are_append_only() OWNER TO postgres".to_string(),
        format!("REVOKE ALL ON personal_data_reads FROM \"{role}\""),
        format!("GRANT SELECT, INSERT ON personal_data_reads TO \"{role}\""),
        format!("GRANT USAGE ON SEQUENCE personal_data_reads_seq_seq TO \"{role}\""),
    ] {
        sqlx::query(&statement).execute(&mut conn).await.with_context(|| statement.clone())?;
    }
    Ok(())
}

/// `url` with its database name replaced by `db` (query kept).
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let server = match base.rfind('/') {
        // Keep `postgres://host` intact when the URL names no database.
        Some(i) if base[..i].ends_with('/') => base,
        Some(i) => &base[..i],
        None => base,
    };
    match query {
        Some(q) => format!("{server}/{db}?{q}"),
        None => format!("{server}/{db}"),
    }
}
