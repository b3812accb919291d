//! Whose fault an error is: the infrastructure's (the database unreachable,
//! restarting, failed over to a read-only standby, out of connections, a
//! serialization conflict) or the work's own. An infrastructure fault says
//! nothing about the event or request at hand: a consumer waits and tries the
//! same event again for as long as it takes (it never dead-letters it), and an
//! API answers `UNAVAILABLE`, which clients retry.

/// True when `e`, or anything in its chain of causes, is an infrastructure
/// fault.
pub fn is_fault(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| cause.downcast_ref::<sqlx::Error>().is_some_and(is_database_fault))
}

/// True for the database errors that are the infrastructure's, not the
/// statement's.
pub fn is_database_fault(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| is_fault_state(&code)),
        _ => false,
    }
}

/// SQLSTATEs of faults (PostgreSQL Appendix A): connection exceptions (08),
/// serialization failure and deadlock (40001, 40P01), a read-only
/// transaction on a standby (25006), insufficient resources (53), operator
/// intervention — shutdown, crash, not yet accepting connections (57P) — and
/// system errors (58).
fn is_fault_state(code: &str) -> bool {
    code.starts_with("08")
        || code.starts_with("53")
        || code.starts_with("57P")
        || code.starts_with("58")
        || matches!(code, "40001" | "40P01" | "25006")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_or_failing_over_database_is_a_fault_and_a_bad_statement_is_not() {
        for code in ["08006", "08001", "57P01", "57P03", "40001", "40P01", "25006", "53300", "58030"] {
            assert!(is_fault_state(code), "{code}");
        }
        for code in ["23505", "23503", "22021", "42P01", "P0001"] {
            assert!(!is_fault_state(code), "{code}");
        }
        assert!(is_fault(&anyhow::Error::from(sqlx::Error::PoolTimedOut).context("applying an event")));
        assert!(!is_fault(&anyhow::Error::from(sqlx::Error::RowNotFound)));
        assert!(!is_fault(&anyhow::anyhow!("the grid is unknown")));
    }
}
