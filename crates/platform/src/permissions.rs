//! The permission matrix: what each RPC needs, and which roles grant it.
//! The authentication layer checks it for every call (`PERMISSION_DENIED`
//! when none of the caller's roles grants the permission); an RPC missing
//! from the table is refused to everyone, so a new RPC cannot ship open.
//! docs/integrators.md prints the same matrix.

/// What a call does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Get, list, export, statistics.
    Read,
    /// File or report something new: a complaint, an incident, a case.
    Report,
    /// Move something along its lifecycle: accept, dispatch, close, rate…
    Transition,
    /// Escalate, whistle, call volunteers.
    Escalate,
    /// Bind organisations, assign staff, move members.
    Bind,
    /// Change the map: import, create, retire.
    Import,
    /// Change rules: categories, routes, deadlines, warning rules.
    Configure,
    /// See residents' and workers' personal data unmasked (each read is
    /// audited). Not an RPC's permission: the answer is masked without it.
    PersonalData,
    /// Read the audit log of personal-data reads.
    Audit,
    /// Raise an enterprise's labour risk from outside a case (a relocation
    /// or closure notice): labour inspection and the arbitration commission
    /// only, since a risk opens a subdistrict incident and holds the
    /// enterprise's risk window.
    Inspect,
    /// Record an act on someone else's behalf (the command centre entering
    /// a field worker's report or a resident's rating given by phone): the
    /// record names the token's subject and the one it acted for.
    OnBehalf,
    /// The arbitration commission director's approvals (2017 Arbitration
    /// Rules): extending the award period (Art. 45) and suspending a case
    /// (Art. 47) — a role of its own, not any holder of `transition`.
    Direct,
    /// Rate a request: the resident, through a resident channel, or a
    /// dispatcher recording the resident's rating on their behalf — never
    /// the staff whose work is rated.
    Rate,
}

use Permission::*;

impl Permission {
    /// Every permission, in the order docs/integrators.md's table lists them.
    pub const ALL: [Permission; 13] = [
        Read,
        Report,
        Transition,
        Escalate,
        Bind,
        Import,
        Configure,
        PersonalData,
        Audit,
        Inspect,
        OnBehalf,
        Rate,
        Direct,
    ];
}

/// Roles and what they grant. `admin` grants everything.
pub const ROLES: &[(&str, &[Permission])] = &[
    ("admin", &Permission::ALL),
    ("dispatcher", &[Read, Report, Transition, Escalate, PersonalData, OnBehalf, Rate]),
    ("grid_worker", &[Read, Report, Transition]),
    ("department", &[Read, Report, Transition, PersonalData]),
    ("party_organiser", &[Read, Report, Transition, Bind]),
    ("map_keeper", &[Read, Import, Bind]),
    ("policy_officer", &[Read, Configure]),
    ("arbitrator", &[Read, Report, Transition, PersonalData, Inspect]),
    ("labour_inspector", &[Read, Inspect]),
    ("commission_director", &[Read, Transition, PersonalData, Direct]),
    ("representative", &[Read, Report]),
    ("resident_channel", &[Report, Rate]),
    ("auditor", &[Read, Audit]),
];

/// Every RPC and the permission it needs.
const RPCS: &[(&str, &[(&str, Permission)])] = &[
    (
        "dualnet.governance.v1.GovernanceGrid",
        &[
            ("CreateSubdistrict", Import),
            ("CreateCommunity", Import),
            ("CreateGrid", Import),
            ("CreateBuilding", Import),
            ("CreateEnterprise", Import),
            ("RetireBuilding", Import),
            ("ImportMap", Import),
            ("RegisterRentalUnit", Import),
            ("GetGrid", Read),
            ("ExportMap", Read),
            ("GetRentalUnit", Read),
            ("ListInspectionsDue", Read),
            ("GetIncident", Read),
            ("ListIncidents", Read),
            ("ListGridWorkers", Read),
            ("ListCategoryDeadlines", Read),
            ("ListWarningRules", Read),
            ("ListWarnings", Read),
            ("GetStatistics", Read),
            ("ListNotices", Read),
            ("ListPatrolMembers", Read),
            ("GetPatrolCoverage", Read),
            ("RecordPatrolRun", Report),
            ("CreateSecurityCommittee", Bind),
            ("AddPatrolMember", Bind),
            ("CreatePatrolPlan", Bind),
            ("ListPersonalDataReads", Audit),
            ("PublishIncidentOutcome", Transition),
            ("ReportIncident", Report),
            ("RecordInspection", Transition),
            ("TransitionIncident", Transition),
            ("CheckIn", Transition),
            ("ReportDepartmentDone", Transition),
            ("EscalateIncident", Escalate),
            ("BlowWhistle", Escalate),
            ("AssignGridWorker", Bind),
            ("AssignBuildingHead", Bind),
            ("SetCategoryDeadlines", Configure),
            ("SetWarningRule", Configure),
        ],
    ),
    (
        "dualnet.complaints.v1.Complaints",
        &[
            ("FileComplaint", Report),
            ("GetComplaint", Read),
            ("ListComplaints", Read),
            ("ListCategories", Read),
            ("ListRoutes", Read),
            ("RateComplaint", Rate),
            ("AcceptComplaint", Transition),
            ("HandOverComplaint", Transition),
            ("SuperviseComplaint", Transition),
            ("MergeComplaint", Transition),
            ("ReferComplaint", Transition),
            ("RecordReferralOutcome", Transition),
            ("SetCategory", Configure),
            ("SetRoute", Configure),
            ("ListPersonalDataReads", Audit),
        ],
    ),
    (
        "dualnet.arbitration.v1.Arbitration",
        &[
            ("ApplyCase", Report),
            ("ReportRelocation", Inspect),
            ("GetCase", Read),
            ("ListCases", Read),
            ("ListDeadlines", Read),
            ("TransitionCase", Transition),
            ("ExtendAwardPeriod", Direct),
            ("ListPersonalDataReads", Audit),
            ("SetRepresentatives", Transition),
        ],
    ),
    (
        "dualnet.partygrid.v1.PartyGrid",
        &[
            ("GetOrganisation", Read),
            ("ListLinkageTasks", Read),
            ("GetResponseTimes", Read),
            ("ListMembers", Read),
            ("GetCoverage", Read),
            ("GetGridNetwork", Read),
            ("ListFlaggedBindings", Read),
            ("GetVolunteerCall", Read),
            ("SignUpVolunteer", Report),
            ("AcceptLinkageTask", Transition),
            ("CompleteLinkageTask", Transition),
            ("DelegateLinkageTask", Transition),
            ("RecordShowUp", Transition),
            ("CallVolunteers", Escalate),
            ("CreateOrganisation", Bind),
            ("BindOrganisation", Bind),
            ("AddMember", Bind),
            ("TransferMember", Bind),
            ("RegisterWithCommunity", Bind),
            ("GetCouncil", Read),
            ("GetLiaisonReport", Read),
            ("ListCouncilMembers", Read),
            ("GetTopic", Read),
            ("ListTopics", Read),
            ("RaiseTopic", Report),
            ("MoveTopic", Transition),
            ("HoldMeeting", Transition),
            ("CreateCouncil", Bind),
            ("AddCouncilMember", Bind),
            ("ListPersonalDataReads", Audit),
        ],
    ),
];

/// The permission a gRPC path (`/package.Service/Method`) needs; `None` for
/// a path not in the matrix.
pub fn required(path: &str) -> Option<Permission> {
    let (service, method) = path.strip_prefix('/')?.split_once('/')?;
    RPCS.iter().find(|(s, _)| *s == service)?.1.iter().find(|(m, _)| *m == method).map(|(_, p)| *p)
}

/// The service a gRPC path belongs to, as token audiences name it
/// (`complaints` for `/dualnet.complaints.v1.Complaints/…`).
pub fn service_of(path: &str) -> Option<&'static str> {
    let service = path.strip_prefix('/')?.split_once('/')?.0;
    Some(match service {
        "dualnet.governance.v1.GovernanceGrid" => "governance-grid",
        "dualnet.partygrid.v1.PartyGrid" => "party-grid",
        "dualnet.complaints.v1.Complaints" => "complaints",
        "dualnet.arbitration.v1.Arbitration" => "arbitration",
        _ => return None,
    })
}

/// Whether any of `roles` grants `permission`.
pub fn granted(roles: &[String], permission: Permission) -> bool {
    roles.iter().any(|r| ROLES.iter().any(|(name, grants)| name == r && grants.contains(&permission)))
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;

    #[test]
    fn every_rpc_of_the_contract_is_in_the_matrix_and_nothing_else() {
        let set = prost_types::FileDescriptorSet::decode(dualnet_proto::FILE_DESCRIPTOR_SET).unwrap();
        let mut contract = Vec::new();
        for file in &set.file {
            for service in &file.service {
                for method in &service.method {
                    contract.push(format!("/{}.{}/{}", file.package(), service.name(), method.name()));
                }
            }
        }
        assert_eq!(contract.len(), 93);
        for path in &contract {
            assert!(required(path).is_some(), "{path} has no entry in the permission matrix");
            assert!(service_of(path).is_some(), "{path} belongs to no audience");
        }
        let listed: usize = RPCS.iter().map(|(_, m)| m.len()).sum();
        assert_eq!(listed, contract.len(), "the matrix names RPCs the contract does not have");
    }

    #[test]
    fn roles_grant_what_the_matrix_says() {
        let roles = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(granted(&roles(&["grid_worker"]), Transition));
        assert!(!granted(&roles(&["grid_worker"]), Configure));
        assert!(!granted(&roles(&["auditor"]), Report));
        assert!(granted(&roles(&["auditor", "policy_officer"]), Configure));
        assert!(!granted(&roles(&["resident_channel"]), Read));
        assert!(!granted(&roles(&["resident_channel", "grid_worker"]), Inspect), "no one low raises a labour risk");
        assert!(granted(&roles(&["labour_inspector"]), Inspect));
        assert!(!granted(&roles(&["no_such_role"]), Read));
        assert_eq!(required("/dualnet.complaints.v1.Complaints/SetRoute"), Some(Configure));
        assert_eq!(required("/dualnet.complaints.v1.Complaints/Unknown"), None);
    }

    #[test]
    fn the_documented_matrix_is_the_enforced_one() {
        let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/integrators.md")).unwrap();
        let columns = Permission::ALL;
        let mut documented = Vec::new();
        for line in docs.lines().filter(|l| l.starts_with("| `")) {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let role = cells[1].trim_matches('`');
            let Some((_, grants)) = ROLES.iter().find(|(r, _)| *r == role) else { continue };
            let ticked: Vec<Permission> =
                columns.iter().zip(&cells[2..]).filter(|(_, c)| **c == "✓").map(|(p, _)| *p).collect();
            let enforced: Vec<Permission> = columns.iter().copied().filter(|p| grants.contains(p)).collect();
            assert_eq!(ticked, enforced, "docs/integrators.md, role {role}");
            documented.push(role);
        }
        assert_eq!(documented.len(), ROLES.len(), "every role is in the documented table: {documented:?}");
    }
}
