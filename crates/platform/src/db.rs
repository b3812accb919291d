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

/// Runs the event pipeline's migrations and then the service's own. Both
/// record themselves in the same `_sqlx_migrations` table (their versions do
/// not overlap), so each must tolerate the other's rows.
pub async fn migrate(pool: &PgPool, service: &'static Migrator) -> anyhow::Result<()> {
    tolerant(&dualnet_events::MIGRATOR).run(pool).await.context("running pipeline migrations")?;
    tolerant(service).run(pool).await.context("running service migrations")?;
    Ok(())
}

fn tolerant(m: &'static Migrator) -> Migrator {
    // sqlx exposes no setter on a `static` migrator; its fields are public
    // for `migrate!` (sqlx 0.8, pinned in Cargo.lock).
    Migrator { migrations: m.migrations.clone(), ignore_missing: true, locking: m.locking, no_tx: m.no_tx }
}
