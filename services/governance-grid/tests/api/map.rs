//! The map: bulk import all or nothing, export that imports back unchanged,
//! grid workers and building heads.

use crate::running;

use crate::running::start;
use dualnet_proto::governance::v1 as gov;

const GOOD: &str = "kind,code,parent_code,name,address
subdistrict,BT,,坂田街道,
community,BT-XJT,BT,象角塘社区,
grid,BT-XJT-01,BT-XJT,象角塘第一网格,
building,BT-XJT-01-001,BT-XJT-01,城市广场1栋,坂田街道城市广场1栋
building,BT-XJT-01-002,BT-XJT-01,城市广场2栋,
enterprise,91440300MA5XXXXX1,BT-XJT-01,坂田电子厂,
";

fn import(format: gov::MapFormat, content: &str, dry_run: bool) -> gov::ImportMapRequest {
    gov::ImportMapRequest { format: format as i32, content: content.as_bytes().to_vec(), dry_run }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_with_bad_rows_applies_nothing_and_names_every_problem() {
    let mut s = start().await;
    let bad = format!(
        "{GOOD}grid,BT-XJT-02,NOWHERE,孤儿网格,
building,BT-XJT-01-001,BT-XJT-01,重复的楼,
"
    );
    let status = s.client.import_map(import(gov::MapFormat::Csv, &bad, false)).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(status.message().contains("rows[6].parent_code"), "{}", status.message());
    assert!(status.message().contains("rows[7].code"), "{}", status.message());
    let exported = s.client.export_map(gov::ExportMapRequest { format: gov::MapFormat::Csv as i32 }).await.unwrap();
    assert_eq!(exported.into_inner().rows, 0, "nothing of the bad file was applied");

    let dry = s.client.import_map(import(gov::MapFormat::Csv, GOOD, true)).await.unwrap().into_inner();
    assert_eq!((dry.created, dry.applied), (6, false));
    let exported = s.client.export_map(gov::ExportMapRequest { format: gov::MapFormat::Csv as i32 }).await.unwrap();
    assert_eq!(exported.into_inner().rows, 0, "a dry run applies nothing");

    let done = s.client.import_map(import(gov::MapFormat::Csv, GOOD, false)).await.unwrap().into_inner();
    assert_eq!((done.created, done.unchanged, done.applied), (6, 0, true));
    let again = s.client.import_map(import(gov::MapFormat::Csv, GOOD, false)).await.unwrap().into_inner();
    assert_eq!((again.created, again.unchanged), (0, 6), "importing the same file twice changes nothing");

    let json = s.client.export_map(gov::ExportMapRequest { format: gov::MapFormat::Json as i32 }).await.unwrap();
    let json = String::from_utf8(json.into_inner().content).unwrap();
    assert!(json.contains("城市广场1栋"));
    let round = s.client.import_map(import(gov::MapFormat::Json, &json, false)).await.unwrap().into_inner();
    assert_eq!((round.created, round.unchanged), (0, 6), "export imports back unchanged");

    let renamed = GOOD.replace("城市广场2栋", "城市广场二栋");
    let status = s.client.import_map(import(gov::MapFormat::Csv, &renamed, false)).await.unwrap_err();
    assert!(status.message().contains("rows[4].code"), "a changed name is a conflict: {}", status.message());
    s.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grid_workers_and_building_heads_are_assigned() {
    let mut s = start().await;
    let grid = running::grid(&mut s.client).await;
    let other = running::grid(&mut s.client).await;
    let code = dualnet_testkit::unique("w");
    let assign = |grid: &str| gov::AssignGridWorkerRequest {
        staff_code: code.clone(),
        grid_id: grid.into(),
        name: "王网格".into(),
    };
    s.client.assign_grid_worker(assign(&grid)).await.unwrap();
    s.client.assign_grid_worker(assign(&other)).await.unwrap();
    let list = |g: &str| gov::ListGridWorkersRequest { grid_id: g.into() };
    assert!(s.client.list_grid_workers(list(&grid)).await.unwrap().into_inner().workers.is_empty(), "moved away");
    let workers = s.client.list_grid_workers(list(&other)).await.unwrap().into_inner().workers;
    assert_eq!(workers.iter().map(|w| w.staff_code.as_str()).collect::<Vec<_>>(), [code.as_str()]);
    let nowhere = s.client.assign_grid_worker(assign(&uuid::Uuid::now_v7().to_string())).await.unwrap_err();
    assert_eq!(nowhere.code(), tonic::Code::NotFound);

    let building = s
        .client
        .create_building(gov::CreateBuildingRequest {
            grid_id: grid.clone(),
            code: dualnet_testkit::unique("b"),
            name: "四季花城5栋".into(),
            address: String::new(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let head = gov::AssignBuildingHeadRequest {
        building_id: building.id.clone(),
        staff_code: "H-1".into(),
        name: "陈楼长".into(),
    };
    let b = s.client.assign_building_head(head).await.unwrap().into_inner();
    assert_eq!((b.head_staff_code.as_str(), b.head_name.as_str()), ("H-1", "陈楼长"));
    s.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_over_the_size_limit_is_refused_before_it_is_read() {
    let mut s = running::start_configured(chrono::Utc::now(), |c| c.limits.max_request_bytes = 4096).await;
    let file = |rows: usize| {
        let mut csv = String::from("kind,code,parent_code,name,address\nsubdistrict,BIG,,坂田街道,\n");
        for i in 0..rows {
            csv.push_str(&format!("community,BIG-{i:05},BIG,社区{i},\n"));
        }
        csv
    };
    let within = s.client.import_map(import(gov::MapFormat::Csv, &file(20), true)).await;
    assert!(within.is_ok(), "{within:?}");
    let status = s.client.import_map(import(gov::MapFormat::Csv, &file(400), true)).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::OutOfRange, "{status:?}");
    assert!(status.message().contains("too large"), "{}", status.message());
    s.shutdown.cancel();
}
