//! Who acted. With authentication on, the token's subject acts and its
//! department answers for it: a name in the request body is never taken as
//! the actor. A body may name someone else only where the caller's roles
//! grant recording on another's behalf (`OnBehalf`: the command centre
//! entering what a field worker reported by phone); the record then keeps
//! both, the subject first, so the history always says whose token did it.
//! With authentication off (a trusted network) there is no subject, and the
//! body's name is required and taken as given.

use crate::{
    ApiError,
    auth::Claims,
    permissions::{self, Permission},
};

/// The one who acted, as a record keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The token's subject (or, with authentication off, the body's name).
    pub subject: String,
    /// The person or department the subject recorded the act for.
    pub for_whom: Option<String>,
}

impl Actor {
    /// How a history row names the actor: `subject`, or `subject (for name)`.
    pub fn recorded(&self) -> String {
        match &self.for_whom {
            None => self.subject.clone(),
            Some(other) => format!("{} (for {other})", self.subject),
        }
    }

    /// The actor of a call whose body names `named` in `field` (already
    /// validated as text; `None` when empty).
    pub fn of(claims: Option<&Claims>, field: &str, named: Option<String>) -> Result<Self, ApiError> {
        let Some(claims) = claims else {
            let subject = named.ok_or_else(|| {
                ApiError::field(field, "must not be empty while authentication is off (no token names the actor)")
            })?;
            return Ok(Self { subject, for_whom: None });
        };
        match named {
            None => Ok(Self { subject: claims.sub.clone(), for_whom: None }),
            Some(n) if n == claims.sub => Ok(Self { subject: n, for_whom: None }),
            Some(n) => {
                on_behalf(claims, field)?;
                Ok(Self { subject: claims.sub.clone(), for_whom: Some(n) })
            }
        }
    }
}

/// The department a call acts as: the token's, or — for a caller that
/// records on another's behalf — the one the body names. With
/// authentication off, the body's name, which is then required.
pub fn department(claims: Option<&Claims>, field: &str, named: Option<String>) -> Result<String, ApiError> {
    let Some(claims) = claims else {
        return named.ok_or_else(|| {
            ApiError::field(field, "must not be empty while authentication is off (no token names the department)")
        });
    };
    match named {
        None => Ok(claims.department.clone()),
        Some(n) if n == claims.department => Ok(n),
        Some(n) => {
            on_behalf(claims, field)?;
            Ok(n)
        }
    }
}

/// The department a call acts as when only that department itself may act
/// (a summoned department checking in): the token's, whatever its roles.
pub fn own_department(claims: Option<&Claims>, field: &str, named: Option<String>) -> Result<String, ApiError> {
    let Some(claims) = claims else { return department(None, field, named) };
    match named {
        Some(n) if n != claims.department => Err(ApiError::PermissionDenied(format!(
            "{field}: only {n}'s own token may answer for it; this token is {}'s",
            claims.department
        ))),
        _ => Ok(claims.department.clone()),
    }
}

fn on_behalf(claims: &Claims, field: &str) -> Result<(), ApiError> {
    if permissions::granted(&claims.roles, Permission::OnBehalf) {
        return Ok(());
    }
    Err(ApiError::PermissionDenied(format!(
        "{field}: the token's subject acts; naming someone else needs a role that records on another's behalf \
         (dispatcher)"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Scope;

    fn claims(roles: &[&str]) -> Claims {
        Claims {
            sub: "gw-0001".into(),
            iss: "dualnet".into(),
            aud: "dualnet".into(),
            exp: 0,
            iat: 0,
            department: "grid-office".into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            scope: Scope::default(),
        }
    }

    #[test]
    fn the_token_subject_acts_whatever_the_body_says_unless_the_role_records_for_others() {
        let worker = claims(&["grid_worker"]);
        let me = Actor::of(Some(&worker), "actor", None).unwrap();
        assert_eq!(me.recorded(), "gw-0001");
        assert_eq!(Actor::of(Some(&worker), "actor", Some("gw-0001".into())).unwrap(), me);
        let refused = Actor::of(Some(&worker), "actor", Some("someone-else".into())).unwrap_err();
        assert!(matches!(refused, ApiError::PermissionDenied(_)), "{refused:?}");
        let dispatcher = claims(&["dispatcher"]);
        let recorded = Actor::of(Some(&dispatcher), "actor", Some("gw-0002".into())).unwrap();
        assert_eq!(recorded.recorded(), "gw-0001 (for gw-0002)");
        assert!(Actor::of(None, "actor", None).is_err(), "with no token, the body must name the actor");
        assert_eq!(Actor::of(None, "actor", Some("x".into())).unwrap().recorded(), "x");
    }

    #[test]
    fn a_department_answers_with_its_own_token_only() {
        let worker = claims(&["grid_worker"]);
        assert_eq!(department(Some(&worker), "department", None).unwrap(), "grid-office");
        assert!(department(Some(&worker), "department", Some("城管".into())).is_err());
        assert_eq!(department(Some(&claims(&["dispatcher"])), "department", Some("城管".into())).unwrap(), "城管");
        let admin = claims(&["admin"]);
        assert!(own_department(Some(&admin), "department", Some("城管".into())).is_err(), "not even an admin");
        assert_eq!(own_department(Some(&admin), "department", None).unwrap(), "grid-office");
    }
}
