//! `dualnet up`'s private PostgreSQL, probed as a local attacker would:
//! nobody signs in without a password, not even through the socket; the
//! services sign in as roles of their own that are no superusers, cannot run
//! programs, and cannot alter, empty or drop the audit trail of
//! personal-data reads; and the sealing key kept under `--data-dir` opens,
//! after a restart, what the earlier run sealed.

#![allow(clippy::too_many_lines)]

use std::path::Path;

use dualnet_e2e::{WAIT, node::up_on};
use dualnet_proto::complaints::v1::{self as cpb, complaints_client::ComplaintsClient};
use sqlx::{Connection, postgres::PgConnection};

async fn stop(mut child: tokio::process::Child) {
    let pid = child.id().expect("running").to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = tokio::time::timeout(WAIT, child.wait()).await.expect("the node exits").unwrap();
    assert!(status.success(), "a clean exit: {status}");
}

fn url(data: &Path, user: &str, password: Option<&str>, db: &str) -> String {
    let secret = password.map(|p| format!(":{p}")).unwrap_or_default();
    format!("postgres://{user}{secret}@localhost:5432/{db}?host={}", data.display())
}

/// Runs `sql` as `role` (the superuser switching to it) and answers the
/// error PostgreSQL gives, if any.
async fn as_role(conn: &mut PgConnection, role: &str, sql: &str) -> Option<String> {
    sqlx::query(&format!("SET ROLE {role}")).execute(&mut *conn).await.unwrap();
    let refused = sqlx::query(sql).execute(&mut *conn).await.err().map(|e| e.to_string());
    sqlx::query("RESET ROLE").execute(&mut *conn).await.unwrap();
    refused
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_private_postgresql_asks_every_role_for_a_password_and_the_services_are_no_superusers() {
    let data = std::env::temp_dir().join(format!("dualnet-test-private-{}", uuid::Uuid::now_v7().simple()));
    let (child, channel) = up_on(&data).await;
    let filed = cpb::FileComplaintRequest {
        kind: cpb::RequestKind::Complaint as i32,
        category: "noise".into(),
        channel: cpb::Channel::Hotline as i32,
        description: "楼上噪音".into(),
        resident_name: "张三".into(),
        resident_phone: "13800138000".into(),
        ..Default::default()
    };
    let id = ComplaintsClient::new(channel.clone()).file_complaint(filed).await.unwrap().into_inner().id;

    // No password, no entry — whoever can reach the socket.
    let refused = PgConnection::connect(&url(&data, "postgres", None, "postgres")).await.unwrap_err().to_string();
    assert!(refused.contains("password"), "{refused}");
    let password = std::fs::read_to_string(data.join("superuser.password")).expect("the superuser's password file");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(data.join("superuser.password")).unwrap().permissions(),
    );
    assert_eq!(mode & 0o077, 0, "the password file is its owner's alone");
    let sealing = std::fs::metadata(data.join("sealing.key")).expect("the sealing key file");
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&sealing.permissions()) & 0o077, 0);
    let mut admin =
        PgConnection::connect(&url(&data, "postgres", Some(password.trim()), "dualnet_complaints")).await.unwrap();

    // The services' own connections: roles of their own, none a superuser.
    let users: Vec<(String, bool)> = sqlx::query_as(
        "SELECT DISTINCT a.usename::text, r.rolsuper FROM pg_stat_activity a JOIN pg_roles r ON r.rolname = a.usename
         WHERE a.datname LIKE 'dualnet_%' AND a.pid <> pg_backend_pid() ORDER BY 1",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    let names: Vec<&str> = users.iter().map(|(u, _)| u.as_str()).collect();
    for role in ["dualnet_arbitration", "dualnet_complaints", "dualnet_governance", "dualnet_log", "dualnet_partygrid"]
    {
        assert!(names.contains(&role), "{role} connects as itself: {users:?}");
    }
    assert!(users.iter().all(|(u, superuser)| !superuser && u != "postgres"), "{users:?}");

    // What complaints' role may not do, whatever SQL it is made to run.
    let service = "dualnet_complaints";
    for attack in [
        "COPY (SELECT 1) TO PROGRAM 'true'",
        "ALTER TABLE personal_data_reads DISABLE TRIGGER ALL",
        "CREATE OR REPLACE FUNCTION personal_data_reads_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$",
        "DELETE FROM personal_data_reads",
        "TRUNCATE personal_data_reads",
        "DROP TABLE personal_data_reads",
        "CREATE ROLE intruder SUPERUSER",
    ] {
        assert!(as_role(&mut admin, service, attack).await.is_some(), "{service} may not: {attack}");
    }
    // It still reads and appends the audit trail, and owns its own tables.
    assert_eq!(as_role(&mut admin, service, "SELECT count(*) FROM personal_data_reads").await, None);
    assert_eq!(as_role(&mut admin, service, "UPDATE complaints SET reply = reply WHERE false").await, None);
    admin.close().await.unwrap();
    stop(child).await;

    // Started again on the same directory: the kept key opens the contact.
    let (child, channel) = up_on(&data).await;
    let mut complaints = ComplaintsClient::new(channel);
    let got = complaints.get_complaint(cpb::GetComplaintRequest { id, ..Default::default() }).await.unwrap();
    let resident = got.into_inner().resident.expect("a contact");
    assert!(resident.unreadable.is_empty() && resident.name == "张*", "{resident:?}");
    stop(child).await;
    let _ = std::fs::remove_dir_all(&data);
}
