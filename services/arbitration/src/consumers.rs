//! arbitration's reactions: a complaint in a labour category opens a draft
//! application, pre-filled from the complaint, that the commission
//! completes with `ApplyCase`; governance-grid's communities, grids and
//! enterprises are remembered, so that a relocation notice names an
//! enterprise on the map and comes from its area.

use std::sync::Arc;

use async_trait::async_trait;
use dualnet_events::{
    Event, HandleError, Handler,
    consumer::{optional_uuid_field, uuid_field},
};
use dualnet_platform::clock::Clock;
use dualnet_proto::{complaints::v1 as complaints, governance::v1 as governance};
use sqlx::PgConnection;

use crate::{domain::case, store};

pub struct Reactions {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl Handler for Reactions {
    async fn handle(&self, conn: &mut PgConnection, event: &Event) -> Result<(), HandleError> {
        if event.is::<governance::CommunityCreated>() {
            let e: governance::CommunityCreated = event.decode()?;
            let (community, subdistrict) =
                (uuid_field("community_id", &e.community_id)?, uuid_field("subdistrict_id", &e.subdistrict_id)?);
            store::remember_community(conn, community, subdistrict).await?;
            return Ok(());
        }
        if event.is::<governance::GridCreated>() {
            let e: governance::GridCreated = event.decode()?;
            let (grid, community) = (uuid_field("grid_id", &e.grid_id)?, uuid_field("community_id", &e.community_id)?);
            store::remember_grid(conn, grid, community).await?;
            return Ok(());
        }
        if event.is::<governance::EnterpriseCreated>() {
            let e: governance::EnterpriseCreated = event.decode()?;
            let (enterprise, grid) =
                (uuid_field("enterprise_id", &e.enterprise_id)?, uuid_field("grid_id", &e.grid_id)?);
            store::remember_enterprise(conn, enterprise, grid).await?;
            return Ok(());
        }
        if !event.is::<complaints::ComplaintFiled>() {
            return Ok(());
        }
        let e: complaints::ComplaintFiled = event.decode()?;
        if !e.labour {
            return Ok(());
        }
        let complaint_id = uuid_field("complaint_id", &e.complaint_id)?;
        let enterprise_id = optional_uuid_field("enterprise_id", &e.enterprise_id)?;
        let opened = case::draft(
            complaint_id,
            enterprise_id,
            &e.category,
            e.workers,
            event.envelope.correlation_id,
            self.clock.now(),
        );
        store::open_draft(conn, &opened, &event.chain()).await?;
        Ok(())
    }
}
