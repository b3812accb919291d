//! The append-only log of unmasked reads of claimants' personal data.

use dualnet_platform::{personal_data::ReadsFilter, timestamp::to_proto};
use dualnet_proto::arbitration::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, Api};

pub async fn list_personal_data_reads(
    api: &Api,
    req: Request<pb::ListPersonalDataReadsRequest>,
) -> Answer<pb::ListPersonalDataReadsResponse> {
    let r = req.into_inner();
    let (filter, page) = ReadsFilter::parse(&api.pages, &r, "case_id", &r.case_id, &r.reader)?;
    let mut reads = api.store.reads(&filter).await?;
    let next_page_token = page.next(&mut reads, |r| r.0);
    Ok(Response::new(pb::ListPersonalDataReadsResponse {
        reads: reads
            .into_iter()
            .map(|(_, r)| pb::PersonalDataRead {
                at: Some(to_proto(r.at)),
                reader: r.reader,
                department: r.department,
                case_id: r.record_id.to_string(),
                fields: r.fields,
                purpose: r.purpose,
            })
            .collect(),
        next_page_token,
    }))
}
