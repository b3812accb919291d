//! Volunteer mobilisation: a call on an incident for a number of volunteers
//! (party-member volunteers, building heads, social workers), who sign up and
//! then show up — as when 水斗坑村 was sealed off during the epidemic.

use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub id: Uuid,
    pub incident_id: Uuid,
    pub organisation_id: Uuid,
    pub needed: i32,
    pub purpose: String,
    pub signed_up: Vec<Uuid>,
    pub showed_up: Vec<Uuid>,
}

pub fn sign_up(call: &Call, member: Uuid) -> Result<(), String> {
    if call.signed_up.contains(&member) {
        return Err("the member has already signed up".into());
    }
    if call.signed_up.len() >= usize::try_from(call.needed).unwrap_or(0) {
        return Err(format!("the call is full: {} of {} signed up", call.signed_up.len(), call.needed));
    }
    Ok(())
}

pub fn show_up(call: &Call, member: Uuid) -> Result<(), String> {
    if !call.signed_up.contains(&member) {
        return Err("only a volunteer who signed up can show up".into());
    }
    if call.showed_up.contains(&member) {
        return Err("the volunteer has already shown up".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(needed: i32) -> Call {
        Call {
            id: Uuid::now_v7(),
            incident_id: Uuid::now_v7(),
            organisation_id: Uuid::now_v7(),
            needed,
            purpose: "seal off the village".into(),
            signed_up: vec![],
            showed_up: vec![],
        }
    }

    #[test]
    fn a_call_takes_as_many_volunteers_as_it_needs() {
        let mut c = call(1);
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert!(sign_up(&c, a).is_ok());
        c.signed_up.push(a);
        assert!(sign_up(&c, a).is_err(), "twice");
        assert!(sign_up(&c, b).is_err(), "full");
    }

    #[test]
    fn only_those_who_signed_up_show_up_once() {
        let mut c = call(2);
        let a = Uuid::now_v7();
        assert!(show_up(&c, a).is_err());
        c.signed_up.push(a);
        assert!(show_up(&c, a).is_ok());
        c.showed_up.push(a);
        assert!(show_up(&c, a).is_err());
    }
}
