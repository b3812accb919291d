//! Members page in the order they joined; one who joins during the walk
//! comes at its end, and nobody is served twice.

use dualnet_proto::partygrid::v1::{self as party, party_grid_client::PartyGridClient};
use dualnet_testkit::InProcess;
use tonic::Code;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_page_in_the_order_they_joined() {
    let service = InProcess::start(&party_grid::DEFINITION, chrono::Utc::now(), |_| {}).await;
    let mut p = PartyGridClient::new(service.channel().await);
    let org = party::CreateOrganisationRequest {
        parent_id: String::new(),
        kind: party::OrganisationKind::CommunityCommittee as i32,
        name: "新雪社区党委".into(),
    };
    let org = p.create_organisation(org).await.unwrap().into_inner().id;
    let add = |n: usize| party::AddMemberRequest {
        organisation_id: org.clone(),
        name: format!("党员{n}"),
        role: party::MemberRole::Member as i32,
        building_id: String::new(),
    };
    let mut joined = Vec::new();
    for n in 0..5 {
        joined.push(p.add_member(add(n)).await.unwrap().into_inner().id);
    }
    let mut pages: Vec<Vec<String>> = Vec::new();
    let mut token = String::new();
    loop {
        let req = party::ListMembersRequest { organisation_id: org.clone(), page_size: 2, page_token: token };
        let page = p.list_members(req).await.unwrap().into_inner();
        pages.push(page.members.into_iter().map(|m| m.id).collect());
        if pages.len() == 1 {
            // Joins after the first page: listed last.
            joined.push(p.add_member(add(5)).await.unwrap().into_inner().id);
        }
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 2]);
    assert_eq!(pages.concat(), joined, "in the order they joined, each once");

    let first = party::ListMembersRequest { organisation_id: org.clone(), page_size: 2, page_token: String::new() };
    let token = p.list_members(first).await.unwrap().into_inner().next_page_token;
    let flagged = party::ListFlaggedBindingsRequest { page_size: 2, page_token: token };
    let e = p.list_flagged_bindings(flagged).await.unwrap_err();
    assert!(e.code() == Code::InvalidArgument && e.message().starts_with("page_token:"), "{e:?}");
    service.shutdown.cancel();
}
